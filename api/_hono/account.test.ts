/**
 * The bearer's own account over HTTP. Changing the password needs the current one, signs out every other
 * session and leaves a security event; deleting the account needs the password (or a fresh sign-in) and
 * leaves nothing behind.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { familyKey, userEventsKey, userSessionsKey } from '../../lib/redis/keys';
import { startTestEnvironment, uniqueEmail, type TestEnvironment } from '../../test/support/environment';

let env: TestEnvironment;
before(async () => {
  env = await startTestEnvironment({ RATE_LIMIT_SIGNIN_PER_ACCOUNT_IP: '5/60' });
});
after(() => env.close());

const OLD = 'correct horse battery';
const NEW = 'staple rocket tuesday';

const signIn = async (email: string, password: string, device: string) => {
  const res = await env.post('/api/v1/auth/signin', { email, password }, { 'user-agent': device });
  return { status: res.status, body: (await res.json()) as { access_token: string; refresh_token: string; session_id: string } };
};

async function userOnTwoDevices() {
  const email = uniqueEmail('password');
  assert.equal((await env.post('/api/v1/auth/signup', { email, password: OLD })).status, 201);
  const laptop = (await signIn(email, OLD, 'Laptop')).body;
  const phone = (await signIn(email, OLD, 'Phone')).body;
  return { email, laptop, phone };
}

const changePassword = async (accessToken: string | undefined, body: unknown) => {
  const res = await env.post('/api/v1/auth/password', body, accessToken ? { authorization: `Bearer ${accessToken}` } : {});
  return { status: res.status, body: (await res.json()) as Record<string, any> };
};

const get = async (path: string, accessToken: string) => {
  const res = await fetch(`${env.baseUrl}${path}`, { headers: { authorization: `Bearer ${accessToken}` } });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
};

const oauthOnlyUser = () =>
  env.services.auth.signInWithOAuth(
    {
      provider: 'github',
      providerAccountId: crypto.randomUUID(),
      email: uniqueEmail('oauth-only'),
      emailVerified: true,
      account: { type: 'oauth' },
    },
    // The browser and the calling server, as the /oauth route passes them.
    { ip: '127.0.0.1' },
  );

const deleteAccount = async (accessToken: string | undefined, body: unknown) => {
  const res = await fetch(`${env.baseUrl}/api/v1/auth/account`, {
    method: 'DELETE',
    headers: { 'content-type': 'application/json', ...(accessToken ? { authorization: `Bearer ${accessToken}` } : {}) },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: res.status === 204 ? null : ((await res.json()) as Record<string, any>) };
};

describe('password change', () => {
  test('signs out every other device, keeps this one, and only the new password works afterwards', async () => {
    const { email, laptop, phone } = await userOnTwoDevices();
    const changed = await changePassword(laptop.access_token, { current_password: OLD, new_password: NEW });
    assert.equal(changed.status, 200);
    assert.deepEqual(changed.body, { signed_out_sessions: 1 });

    assert.equal((await env.refresh(phone.refresh_token)).body.error.code, 'token_revoked');
    assert.equal(
      (await get('/api/v1/auth/sessions', phone.access_token)).status,
      401,
      'the other device access token is refused at once',
    );
    assert.equal((await env.refresh(laptop.refresh_token)).status, 200, 'this device stays signed in');
    const sessions = (await get('/api/v1/auth/sessions', laptop.access_token)).body.sessions as Array<{ id: string }>;
    assert.deepEqual(
      sessions.map((s) => s.id),
      [laptop.session_id],
    );

    assert.equal((await signIn(email, OLD, 'Thief')).status, 401);
    assert.equal((await signIn(email, NEW, 'Laptop')).status, 200);
  });

  test('leaves a password_changed security event with where it came from and what it signed out', async () => {
    const { laptop } = await userOnTwoDevices();
    await changePassword(laptop.access_token, { current_password: OLD, new_password: NEW });
    const { events } = (await get('/api/v1/auth/security-events', laptop.access_token)).body as {
      events: Array<Record<string, unknown>>;
    };
    assert.equal(events[0]?.type, 'password_changed');
    assert.equal(events[0]?.signed_out_sessions, 1);
    assert.equal(events[0]?.signedOutSessions, undefined, 'one casing across the API');
    assert.equal(events[0]?.ip, '127.0.0.1');
  });

  test('a wrong current password → 403 wrong_password, and nothing changes', async () => {
    const { email, laptop, phone } = await userOnTwoDevices();
    const res = await changePassword(laptop.access_token, { current_password: 'not my password', new_password: NEW });
    assert.equal(res.status, 403);
    assert.equal(res.body.error.code, 'wrong_password');
    assert.equal((await env.refresh(phone.refresh_token)).status, 200, 'no session was signed out');
    assert.equal((await signIn(email, OLD, 'Laptop')).status, 200, 'the old password still works');
  });

  test('guessing the current password is limited like signing in', async () => {
    const { laptop } = await userOnTwoDevices(); // its two sign-ins succeeded: they do not count
    const statuses = [];
    for (let i = 0; i < 6; i++)
      statuses.push((await changePassword(laptop.access_token, { current_password: `guess ${i}`, new_password: NEW })).status);
    assert.deepEqual(statuses, [403, 403, 403, 403, 403, 429], 'five failures per account and IP');
  });

  test('the current password again, or a common one, is refused with a code of its own and changes nothing', async () => {
    const { laptop } = await userOnTwoDevices();
    const same = await changePassword(laptop.access_token, { current_password: OLD, new_password: OLD });
    assert.deepEqual([same.status, same.body.error.code], [400, 'password_unchanged']);
    const common = await changePassword(laptop.access_token, { current_password: OLD, new_password: 'Password123' });
    assert.deepEqual([common.status, common.body.error.code], [400, 'weak_password']);
    assert.match(common.body.error.message, /most common passwords/);
    const spaces = await changePassword(laptop.access_token, { current_password: OLD, new_password: ' '.repeat(8) });
    assert.deepEqual([spaces.status, spaces.body.error.code], [400, 'weak_password']);
    const changed = await changePassword(laptop.access_token, { current_password: OLD, new_password: NEW });
    assert.equal(changed.status, 200, 'the old password was still the one to give');
  });

  test('bad input gets a clear 4xx', async () => {
    const { laptop } = await userOnTwoDevices();
    const short = await changePassword(laptop.access_token, { current_password: OLD, new_password: 'short' });
    assert.equal(short.status, 400);
    assert.match(short.body.error.message, /new_password: password must be at least 8/);
    assert.equal((await changePassword(laptop.access_token, { current_password: OLD })).status, 400);
    assert.equal(
      (await changePassword(laptop.access_token, { current_password: OLD, new_password: NEW, admin: true })).status,
      400,
    );
    const anonymous = await changePassword(undefined, { current_password: OLD, new_password: NEW });
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.body.error.code, 'invalid_token');
  });

  test('an account that signs in only with a provider has no password to change → 409 password_not_set', async () => {
    const session = await oauthOnlyUser();
    const res = await changePassword(session.accessToken, { current_password: 'anything', new_password: NEW });
    assert.equal(res.status, 409);
    assert.equal(res.body.error.code, 'password_not_set');
  });
});

describe('account deletion', () => {
  test('with the password: every session, event, account link and the user are gone; the email is free again', async () => {
    const { email, laptop, phone } = await userOnTwoDevices();
    const user = await env.services.users.findByEmail(email);
    await changePassword(laptop.access_token, { current_password: OLD, new_password: NEW }); // leaves an event
    assert.equal((await deleteAccount(laptop.access_token, { password: NEW })).status, 204);

    assert.equal(await env.services.users.findById(user!.id), null);
    const redis = env.services.redis;
    for (const key of [userSessionsKey(user!.id), userEventsKey(user!.id)]) {
      assert.equal(await redis.exists(key), 0, `${key} is gone`);
    }
    // The laptop's session is replaced by a bare tombstone (no user, no device, no token) that lives as long
    // as an access token: "not found" would count as active (a lagging replica says it too).
    const tombstone = (await redis.hgetall(familyKey(laptop.session_id))) as unknown as string[];
    assert.deepEqual(tombstone.filter((_, i) => i % 2 === 0).sort(), ['reason', 'revokedAt', 'st']);
    assert.equal(await redis.hget(familyKey(laptop.session_id), 'reason'), 'account_deleted');
    const ttl = await redis.pttl(familyKey(laptop.session_id));
    assert.ok(ttl > 0 && ttl <= env.config.ACCESS_TOKEN_TTL_SECONDS * 1000, `tombstone lives ${ttl} ms`);
    // The phone was signed out by the password change: only a tombstone is left until it would have gone
    // idle, so its token still says "revoked", with no device details.
    assert.deepEqual(await redis.hmget(familyKey(phone.session_id), 'st', 'ua', 'ip', 'cur'), ['revoked', null, null, null]);
    assert.equal((await env.refresh(laptop.refresh_token)).status, 401);
    assert.equal((await get('/api/v1/auth/sessions', laptop.access_token)).status, 401, 'its access token is refused at once');
    assert.equal((await signIn(email, NEW, 'Laptop')).status, 401);
    assert.equal((await env.post('/api/v1/auth/signup', { email, password: OLD })).status, 201);
  });

  test('a wrong or missing password → 403 wrong_password, and nothing is deleted', async () => {
    const { email, phone } = await userOnTwoDevices();
    assert.equal((await deleteAccount(phone.access_token, { password: 'not my password' })).body?.error.code, 'wrong_password');
    assert.equal((await deleteAccount(phone.access_token, {})).body?.error.code, 'wrong_password');
    assert.equal((await deleteAccount(undefined, { password: OLD })).status, 401);
    assert.equal((await deleteAccount(phone.access_token, { password: OLD, confirm: true })).status, 400);
    assert.notEqual(await env.services.users.findByEmail(email), null);
    assert.equal((await env.refresh(phone.refresh_token)).status, 200);
  });

  test('an account without a password: only from a session signed in within the last 10 minutes', async () => {
    const stale = await oauthOnlyUser();
    // Make the session look 11 minutes old.
    await env.services.redis.hset(familyKey(stale.sessionId), { created: Date.now() - 11 * 60_000 });
    const refused = await deleteAccount(stale.accessToken, {});
    assert.equal(refused.status, 403);
    assert.equal(refused.body?.error.code, 'reauthentication_required');
    assert.notEqual(await env.services.users.findById(stale.userId), null);

    const fresh = await oauthOnlyUser();
    assert.equal((await deleteAccount(fresh.accessToken, {})).status, 204);
    assert.equal(await env.services.users.findById(fresh.userId), null);
  });
});
