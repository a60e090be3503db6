/** The caller proof during an OAUTH_CALLER_SECRET rotation: the newest secret signs, every listed one verifies. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { newSecret } from '../config/secrets';
import type { Redis } from '../redis/client';
import { startTestRedis } from '../../test/support/environment';
import { signCallerProof, verifyCallerProof } from './caller-proof';
import { AuthError } from './errors';

let redis: Redis;
let close: () => Promise<void>;

before(async () => {
  ({ redis, close } = await startTestRedis());
});
after(() => close());

/** The refusal's reason ("does not match", "was already used"...), or "accepted". */
async function verdict(secrets: string | readonly string[], header: string, body: string): Promise<string> {
  try {
    await verifyCallerProof(secrets, redis, header, body);
    return 'accepted';
  } catch (error) {
    assert.ok(error instanceof AuthError && error.code === 'unauthorized_client');
    return error.message;
  }
}

const body = () => JSON.stringify({ provider: 'oidc', nonce: crypto.randomUUID() });

test('during a rotation the API accepts proofs signed with the new and with the old secret', async () => {
  const [older, newer] = [newSecret(), newSecret()];
  const ring = [newer, older];
  const fromOld = body();
  const fromNew = body();
  // A function still on the old secret, and one already on the new list, call the API at the same time.
  assert.equal(await verdict(ring, await signCallerProof(older, fromOld), fromOld), 'accepted');
  assert.equal(await verdict(ring, await signCallerProof(ring, fromNew), fromNew), 'accepted');
});

test('a list signs with its first secret only', async () => {
  const [older, newer] = [newSecret(), newSecret()];
  const text = body();
  const header = await signCallerProof([newer, older], text);
  assert.equal(await verdict(older, header, text), 'Caller proof does not match.', 'not signed with the old secret');
  assert.equal(await verdict(newer, header, text), 'accepted');
});

test('after the old secret is dropped, its proofs are refused; a secret never listed is refused throughout', async () => {
  const [older, newer, stranger] = [newSecret(), newSecret(), newSecret()];
  const text = body();
  assert.equal(await verdict([newer], await signCallerProof(older, text), text), 'Caller proof does not match.');
  assert.equal(await verdict([newer, older], await signCallerProof(stranger, text), text), 'Caller proof does not match.');
});

test('a proof is still accepted once, whichever secret signed it', async () => {
  const [older, newer] = [newSecret(), newSecret()];
  const text = body();
  const header = await signCallerProof(older, text);
  assert.equal(await verdict([newer, older], header, text), 'accepted');
  assert.equal(await verdict([newer, older], header, text), 'Caller proof was already used.');
});
