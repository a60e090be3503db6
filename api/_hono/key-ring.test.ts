/**
 * REFRESH_TOKEN_SECRET as a key ring, through the real API: three app instances on the same Redis, one per
 * step of a rotation (docs/security.md, "Keys"). Nobody is signed out, and a removed key's tokens are
 * refused without touching their session.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { newSecret } from '../../lib/config/secrets';
import { refreshKeyId } from '../../lib/tokens/refresh-token';
import { startTestEnvironment, uniqueEmail, type TestEnvironment } from '../../test/support/environment';

const [OLD, NEW] = [newSecret(), newSecret()];
let before1: TestEnvironment;
let during: TestEnvironment;
let afterwards: TestEnvironment;

before(async () => {
  before1 = await startTestEnvironment({ REFRESH_TOKEN_SECRET: OLD });
  // The new secret first tags; the old one still verifies. The other secrets are shared, as in one deployment.
  const shared = {
    AUTH_SECRET: before1.config.AUTH_SECRET.join(','),
    OAUTH_CALLER_SECRET: before1.config.OAUTH_CALLER_SECRET.join(','),
    ACCESS_TOKEN_SIGNING_KEYS: JSON.stringify(before1.config.ACCESS_TOKEN_SIGNING_KEYS),
  };
  during = await startTestEnvironment({ ...shared, REFRESH_TOKEN_SECRET: `${NEW},${OLD}` });
  afterwards = await startTestEnvironment({ ...shared, REFRESH_TOKEN_SECRET: NEW });
});
after(async () => {
  await Promise.all([before1.close(), during.close(), afterwards.close()]);
});

const kidOf = (token: string) => token.split('.')[4];

test('a session started under the old key goes on under the new one; the old key is then removed without a logout', async () => {
  const email = uniqueEmail('ring');
  const password = 'correct horse battery';
  assert.equal((await before1.post('/api/v1/auth/signup', { email, password })).status, 201);
  const signin = (await (await before1.post('/api/v1/auth/signin', { email, password })).json()) as Record<string, any>;
  assert.equal(kidOf(signin.refresh_token), refreshKeyId(OLD));

  const rotated = await during.refresh(signin.refresh_token);
  assert.equal(rotated.status, 200);
  assert.equal(kidOf(rotated.body.refresh_token), refreshKeyId(NEW), 'its successor is tagged by the newest key');
  // A second tab with the old-key token, inside the window, on the instance not yet updated: the same token.
  const replay = await before1.refresh(signin.refresh_token);
  assert.equal(replay.status, 200);
  assert.equal(kidOf(replay.body.refresh_token), refreshKeyId(OLD));

  const next = await afterwards.refresh(rotated.body.refresh_token);
  assert.equal(next.status, 200, 'the old key is gone and the session goes on');
  // A token of the old key, once it is removed: refused from its tag, the session untouched.
  const stale = await afterwards.refresh(replay.body.refresh_token);
  assert.equal(stale.body.error?.code, 'invalid_token');
  assert.equal((await afterwards.refresh(next.body.refresh_token)).status, 200);
});
