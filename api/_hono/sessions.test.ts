/** Per-device sessions over HTTP: list, revoke one, revoke others, revoke all; revoked access tokens are refused. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestEnvironment, uniqueEmail, type TestEnvironment } from '../../test/support/environment';

let env: TestEnvironment;
before(async () => {
  env = await startTestEnvironment();
});
after(() => env.close());

const PASSWORD = 'correct horse battery';

async function signInOn(email: string, device: string) {
  const res = await env.post('/api/v1/auth/signin', { email, password: PASSWORD }, { 'user-agent': device });
  assert.equal(res.status, 200);
  return (await res.json()) as { access_token: string; refresh_token: string; session_id: string };
}

async function user(devices: string[]) {
  const email = uniqueEmail('devices');
  assert.equal((await env.post('/api/v1/auth/signup', { email, password: PASSWORD })).status, 201);
  const sessions = [];
  for (const device of devices) sessions.push(await signInOn(email, device));
  return sessions;
}

const call = (method: string, path: string, accessToken: string) =>
  fetch(`${env.baseUrl}${path}`, { method, headers: { authorization: `Bearer ${accessToken}` } });

describe('sessions per device', () => {
  test('signing in on a second device keeps the first signed in, and both are listed', async () => {
    const [laptop, phone] = await user(['Laptop Firefox', 'Phone Safari']);
    assert.equal((await env.post('/api/v1/auth/refresh-token', { refresh_token: laptop!.refresh_token })).status, 200);
    const res = await call('GET', '/api/v1/auth/sessions', phone!.access_token);
    assert.equal(res.status, 200);
    const { sessions } = (await res.json()) as { sessions: Array<Record<string, unknown>> };
    assert.deepEqual(sessions.map((s) => s.user_agent).sort(), ['Laptop Firefox', 'Phone Safari']);
    assert.equal(sessions.find((s) => s.current)?.id, phone!.session_id);
    assert.equal(sessions[0]!.user_agent, 'Laptop Firefox', 'most recently used first');
    // One casing across the API: the fields of a session, in snake_case like the token responses.
    assert.deepEqual(Object.keys(sessions[0]!).sort(), [
      'created_at',
      'current',
      'expires_at',
      'id',
      'ip',
      'last_used_at',
      'provider',
      'user_agent',
    ]);
    assert.ok((sessions[0]!.last_used_at as number) >= (sessions[0]!.created_at as number));
  });

  test('revoking one device signs it out (refresh and access token) and leaves the other', async () => {
    const [laptop, phone] = await user(['Laptop', 'Phone']);
    assert.equal((await call('DELETE', `/api/v1/auth/sessions/${laptop!.session_id}`, phone!.access_token)).status, 204);
    const refresh = await env.post('/api/v1/auth/refresh-token', { refresh_token: laptop!.refresh_token });
    assert.equal(((await refresh.json()) as any).error.code, 'token_revoked');
    const stale = await call('GET', '/api/v1/auth/sessions', laptop!.access_token);
    assert.equal(stale.status, 401, 'the revoked session access token is refused at once');
    assert.equal(((await stale.json()) as any).error.code, 'token_revoked');
    assert.equal((await call('GET', '/api/v1/auth/sessions', phone!.access_token)).status, 200);
  });

  test('a device cannot revoke its own session by id: 409 current_session, and it stays signed in', async () => {
    const [laptop, phone] = await user(['Laptop', 'Phone']);
    const res = await call('DELETE', `/api/v1/auth/sessions/${phone!.session_id}`, phone!.access_token);
    assert.equal(res.status, 409);
    assert.equal(((await res.json()) as any).error.code, 'current_session');
    assert.equal((await call('GET', '/api/v1/auth/sessions', phone!.access_token)).status, 200, 'the access token still works');
    for (const s of [phone!, laptop!]) {
      assert.equal((await env.post('/api/v1/auth/refresh-token', { refresh_token: s.refresh_token })).status, 200);
    }
  });

  test("another user's session cannot be revoked", async () => {
    const [mine] = await user(['Mine']);
    const [theirs] = await user(['Theirs']);
    assert.equal((await call('DELETE', `/api/v1/auth/sessions/${theirs!.session_id}`, mine!.access_token)).status, 404);
    assert.equal((await env.post('/api/v1/auth/refresh-token', { refresh_token: theirs!.refresh_token })).status, 200);
  });

  test('"sign out everywhere else" keeps only the current device', async () => {
    const [a, b, c] = await user(['A', 'B', 'C']);
    const res = await call('DELETE', '/api/v1/auth/sessions?scope=others', c!.access_token);
    assert.deepEqual(await res.json(), { revoked: 2 });
    for (const other of [a!, b!]) {
      assert.equal((await env.post('/api/v1/auth/refresh-token', { refresh_token: other.refresh_token })).status, 401);
    }
    assert.equal((await env.post('/api/v1/auth/refresh-token', { refresh_token: c!.refresh_token })).status, 200);
  });

  test('"sign out everywhere" revokes every device including this one', async () => {
    const [a, b] = await user(['A', 'B']);
    assert.deepEqual(await (await call('DELETE', '/api/v1/auth/sessions?scope=all', a!.access_token)).json(), { revoked: 2 });
    for (const s of [a!, b!]) {
      assert.equal((await env.post('/api/v1/auth/refresh-token', { refresh_token: s.refresh_token })).status, 401);
    }
  });

  test('a bad scope, a missing or forged bearer token get clear 4xx answers', async () => {
    const [a] = await user(['A']);
    assert.equal((await call('DELETE', '/api/v1/auth/sessions?scope=everything', a!.access_token)).status, 400);
    const missing = await fetch(`${env.baseUrl}/api/v1/auth/sessions`);
    assert.equal(missing.status, 401);
    assert.match(missing.headers.get('www-authenticate') ?? '', /Bearer error="invalid_token"/);
    assert.equal((await call('GET', '/api/v1/auth/sessions', `${a!.access_token.slice(0, -4)}AAAA`)).status, 401);
  });

  test('the public auth routes need no bearer token', async () => {
    const res = await env.post('/api/v1/auth/signin', { email: uniqueEmail(), password: 'whatever1' });
    assert.equal(res.status, 401);
    assert.equal(((await res.json()) as any).error.code, 'invalid_credentials');
  });
});
