/**
 * `scripts/mfa-reseal.ts` as ops run it after rotating MFA_ENCRYPTION_KEY: a separate process with the key ring
 * in its environment, against a database of its own (so only this test's seeds are in it). It re-seals a seed
 * under the newest key, leaves it alone the second time, and says so, with an exit code, when a seed is under no
 * key of the ring; after it, the oldest key can go and the person still signs in with their authenticator app.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { freshSecrets, newSecret } from '../lib/config/secrets';
import { createPrismaClient } from '../lib/db/client';
import { migrate } from '../lib/db/migrator';
import { SecretBox } from '../lib/mfa/secret-box';
import { totpCode } from '../lib/mfa/totp';
import { startTestEnvironment, TEST_DATABASE_URL, uniqueEmail } from '../test/support/environment';
import { runScript, type ScriptResult } from '../test/support/processes';

const SCRIPT = fileURLToPath(new URL('./mfa-reseal.ts', import.meta.url));
const PASSWORD = 'correct horse battery staple';
const DATABASE_URL = Object.assign(new URL(TEST_DATABASE_URL), { pathname: '/authtest_mfa_reseal' }).href;
const db = createPrismaClient(DATABASE_URL);
// No env files there: the script sees exactly the variables the test gives it.
const cwd = mkdtempSync(join(tmpdir(), 'mfa-reseal-'));

let secrets: Record<string, string>;
before(async () => {
  secrets = await freshSecrets();
  await migrate({ url: DATABASE_URL, log: () => undefined });
  await (await db).totpFactor.deleteMany();
});
after(async () => {
  await (await db).$disconnect();
  rmSync(cwd, { recursive: true, force: true });
});

/** Runs the script with this key ring (newest first); the other settings only need to parse. */
function reseal(ring: string[]): Promise<ScriptResult> {
  const settings: NodeJS.ProcessEnv = {
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    ...secrets,
    UPSTASH_REDIS_REST_URL: 'http://127.0.0.1:1',
    UPSTASH_REDIS_REST_TOKEN: 'unused',
    DATABASE_URL,
    MFA_ENCRYPTION_KEY: ring.join(','),
  };
  return runScript(SCRIPT, [], settings, cwd);
}

/** The stored (sealed) seed of a user. */
const sealedSeed = async (userId: string) =>
  (await (await db).totpFactor.findUniqueOrThrow({ where: { userId }, select: { secret: true } })).secret;

test('re-seals under the newest key once, refuses to guess without the right key, and the old key can then go', async () => {
  const oldKey = newSecret();
  const newKey = newSecret();
  const email = uniqueEmail('reseal');
  let secret: string;
  let userId: string;
  {
    const env = await startTestEnvironment({ DATABASE_URL, MFA_ENCRYPTION_KEY: oldKey });
    try {
      assert.equal((await env.post('/api/v1/auth/signup', { email, password: PASSWORD })).status, 201);
      const session = (await (await env.post('/api/v1/auth/signin', { email, password: PASSWORD })).json()) as Record<
        string,
        any
      >;
      userId = session.user.id;
      const bearer = { authorization: `Bearer ${session.access_token}` };
      secret = ((await (await env.post('/api/v1/auth/mfa/totp', {}, bearer)).json()) as { secret: string }).secret;
      assert.equal((await env.post('/api/v1/auth/mfa/totp/confirm', { code: totpCode(secret) }, bearer)).status, 200);
    } finally {
      await env.close();
    }
  }
  const before = await sealedSeed(userId);

  // A ring that holds neither key: nothing is touched, and the operator is told what to do.
  const wrong = await reseal([newSecret()]);
  assert.equal(wrong.code, 1);
  assert.match(wrong.stderr, /^1 TOTP seed\(s\) are sealed under no key of MFA_ENCRYPTION_KEY/);
  assert.doesNotMatch(wrong.stderr, /\n\s+at /, 'no stack trace');
  assert.equal(await sealedSeed(userId), before);

  const first = await reseal([newKey, oldKey]);
  assert.equal(first.code, 0, first.stderr);
  assert.equal(first.stdout.trim(), 're-sealed 1 TOTP seed(s); 0 already under the newest key');
  const after = await sealedSeed(userId);
  assert.notEqual(after, before);
  assert.ok(!first.stdout.includes(secret) && !after.includes(secret), 'the seed is printed and stored sealed only');
  assert.equal(await new SecretBox([newKey]).open(after, userId), secret, 'sealed under the new key alone');

  const second = await reseal([newKey, oldKey]);
  assert.equal(second.stdout.trim(), 're-sealed 0 TOTP seed(s); 1 already under the newest key');
  assert.equal(await sealedSeed(userId), after);

  // The old key retired: the authenticator app still works.
  const env = await startTestEnvironment({ DATABASE_URL, MFA_ENCRYPTION_KEY: newKey });
  try {
    const challenge = (await (await env.post('/api/v1/auth/signin', { email, password: PASSWORD })).json()) as Record<
      string,
      any
    >;
    const mfaToken = challenge.error?.mfa_token as string;
    assert.ok(mfaToken, JSON.stringify(challenge));
    const code = totpCode(secret, Date.now() + 30_000);
    const signedIn = await env.post('/api/v1/auth/mfa/verify', { mfa_token: mfaToken, code });
    assert.equal(signedIn.status, 200, await signedIn.clone().text());
  } finally {
    await env.close();
  }
});
