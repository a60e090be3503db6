/** Rate limits: brute force and floods get 429 with Retry-After and RateLimit-* headers, and nobody else is locked out. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestEnvironment, uniqueEmail, type TestEnvironment } from '../../test/support/environment';
import { mailedToken } from '../../test/support/outbox';

let env: TestEnvironment;
before(async () => {
  env = await startTestEnvironment({
    // The test is the one trusted proxy: the hop it writes is the client's IP.
    CLIENT_IP_SOURCE: 'proxy',
    RATE_LIMIT_SIGNIN_PER_IP: '6/60',
    RATE_LIMIT_SIGNIN_PER_ACCOUNT_IP: '3/60',
    RATE_LIMIT_SIGNUP_PER_IP: '3/60',
    RATE_LIMIT_REFRESH_FAILURES_PER_IP: '3/60',
    RATE_LIMIT_REFRESH_PER_SESSION: '4/60',
  });
});
after(() => env.close());

const PASSWORD = 'correct horse battery';
let ipCounter = 0;
const run = Math.floor(Math.random() * 0xffff).toString(16);
/**
 * A fresh documentation-range IP per call (and per run: limits outlive a test run), so tests do not share
 * buckets; each in a /64 of its own, since IPv6 clients are counted per /64.
 */
const newIp = () => `2001:db8:${run}:${(++ipCounter).toString(16)}::1`;
const from = (ip: string) => ({ 'x-forwarded-for': ip });

async function account(ip = newIp()) {
  const email = uniqueEmail('rl');
  assert.equal((await env.post('/api/v1/auth/signup', { email, password: PASSWORD }, from(ip))).status, 201);
  return email;
}

function assertLimited(res: Response) {
  assert.equal(res.status, 429);
  const retryAfter = Number(res.headers.get('retry-after'));
  assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter}`);
  assert.ok(Number(res.headers.get('ratelimit-limit')) > 0);
  assert.equal(res.headers.get('ratelimit-remaining'), '0');
  assert.equal(res.headers.get('ratelimit-reset'), String(retryAfter));
}

describe('rate limits', () => {
  test('password guessing against one account from one IP is stopped, while the owner elsewhere still signs in', async () => {
    const victim = await account();
    const attacker = newIp();
    for (let i = 0; i < 3; i++) {
      assert.equal(
        (await env.post('/api/v1/auth/signin', { email: victim, password: `guess-${i}` }, from(attacker))).status,
        401,
      );
    }
    const blocked = await env.post('/api/v1/auth/signin', { email: victim, password: PASSWORD }, from(attacker));
    assertLimited(blocked);
    assert.equal(((await blocked.json()) as any).error.code, 'rate_limited');
    assert.equal((await env.post('/api/v1/auth/signin', { email: victim, password: PASSWORD }, from(newIp()))).status, 200);
  });

  test('signing in often never counts toward the lockout: the owner who then mistypes twice still gets in', async () => {
    const email = await account();
    const ip = newIp();
    const signIn = async (password: string) => (await env.post('/api/v1/auth/signin', { email, password }, from(ip))).status;
    // The per-account-and-IP window is 3 here: three successes and two failures leave one try.
    for (let i = 0; i < 3; i++) assert.equal(await signIn(PASSWORD), 200);
    assert.deepEqual([await signIn('mistyped-1'), await signIn('mistyped-2')], [401, 401]);
    assert.equal(await signIn(PASSWORD), 200);
  });

  test('a completed password reset clears the failures: the new password works at once, after one slip of the old', async () => {
    const email = await account();
    const ip = newIp();
    const signIn = async (password: string) => env.post('/api/v1/auth/signin', { email, password }, from(ip));
    for (let i = 0; i < 3; i++) assert.equal((await signIn(`forgotten-${i}`)).status, 401);
    assertLimited(await signIn(PASSWORD));
    assert.equal((await env.post('/api/v1/auth/password-reset', { email }, from(ip))).status, 202);
    const token = await mailedToken(env.services.redis, email, env.config.APP_URL, '/reset-password');
    const reset = await env.post(
      '/api/v1/auth/password-reset/confirm',
      { token, new_password: 'brand new passphrase' },
      from(ip),
    );
    assert.equal(reset.status, 200);
    assert.equal((await signIn(PASSWORD)).status, 401, 'the old password, typed once by habit');
    assert.equal((await signIn('brand new passphrase')).status, 200);
  });

  test('one IP spraying many accounts is stopped by the per-IP limit', async () => {
    const sprayer = newIp();
    const statuses = [];
    for (let i = 0; i < 8; i++) {
      statuses.push(
        (await env.post('/api/v1/auth/signin', { email: uniqueEmail('spray'), password: 'guess-1234' }, from(sprayer))).status,
      );
    }
    assert.deepEqual(statuses, [401, 401, 401, 401, 401, 401, 429, 429]);
  });

  test('sign-up floods from one IP get 429', async () => {
    const ip = newIp();
    for (let i = 0; i < 3; i++) await account(ip);
    assertLimited(await env.post('/api/v1/auth/signup', { email: uniqueEmail(), password: PASSWORD }, from(ip)));
  });

  test('an IP presenting dead refresh tokens is cut off, without affecting others; forged ones cost it nothing', async () => {
    const email = await account();
    const session = (await (await env.post('/api/v1/auth/signin', { email, password: PASSWORD }, from(newIp()))).json()) as any;
    const dead = (await (await env.post('/api/v1/auth/signin', { email, password: PASSWORD }, from(newIp()))).json()) as any;
    assert.equal((await env.post('/api/v1/auth/signout', { refresh_token: dead.refresh_token })).status, 204);
    const prober = newIp();
    for (let i = 0; i < 10; i++) {
      assert.equal((await env.post('/api/v1/auth/refresh-token', { refresh_token: `rt1.forged${i}` }, from(prober))).status, 401);
    }
    for (let i = 0; i < 3; i++) {
      assert.equal(
        (await env.post('/api/v1/auth/refresh-token', { refresh_token: dead.refresh_token }, from(prober))).status,
        401,
      );
    }
    assertLimited(await env.post('/api/v1/auth/refresh-token', { refresh_token: session.refresh_token }, from(prober)));
    assert.equal(
      (await env.post('/api/v1/auth/refresh-token', { refresh_token: session.refresh_token }, from(newIp()))).status,
      200,
    );
  });

  test('one session refreshing in a tight loop is limited inside the rotation script', async () => {
    const email = await account();
    const ip = newIp();
    const session = (await (await env.post('/api/v1/auth/signin', { email, password: PASSWORD }, from(ip))).json()) as any;
    let token = session.refresh_token;
    for (let i = 0; i < 4; i++) {
      const res = await env.post('/api/v1/auth/refresh-token', { refresh_token: token }, from(ip));
      assert.equal(res.status, 200);
      token = ((await res.json()) as any).refresh_token;
    }
    const limited = await env.post('/api/v1/auth/refresh-token', { refresh_token: token }, from(ip));
    assertLimited(limited);
    // Being limited is not theft: the session stays active and its latest token remains current.
    assert.equal(await env.services.sessions.isActive(session.session_id), true);
  });
});
