/**
 * AUTH_SECRET rotation through the real next-auth code: a session cookie encrypted under the old secret
 * still opens after a new secret is put in front of it, in the edge middleware and in NextAuth's routes (auth.ts),
 * and the cookie they write back is encrypted under the new secret only.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decode, encode } from 'next-auth/jwt';
import { NextRequest, type NextFetchEvent } from 'next/server';
import { freshSecrets, newSecret } from '../lib/config/secrets';

const [newer, older, stranger] = [newSecret(), newSecret(), newSecret()];
// The configuration is read from process.env once, on first use: the deployment after the rotation.
Object.assign(process.env, {
  ...(await freshSecrets()),
  APP_URL: 'http://localhost:3000',
  UPSTASH_REDIS_REST_URL: 'http://127.0.0.1:8889',
  UPSTASH_REDIS_REST_TOKEN: 'not-contacted',
  DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/not-contacted',
  AUTH_SECRET: `${newer},${older}`,
});
const { authRoute } = await import('../auth');
const { middleware } = await import('../middleware');

/** Auth.js's session cookie on http, and the salt of its encryption key. */
const COOKIE = 'authjs.session-token';

/** A session cookie as the app wrote it before the rotation (no backend tokens: nothing is refreshed). */
const cookieUnder = (secret: string) =>
  encode({
    secret,
    salt: COOKIE,
    token: { sub: 'user-1', email: 'rotating@example.test', name: 'Rotating' },
  });

/** The session cookie a response writes back, if any. */
function writtenCookie(res: Response): string | undefined {
  for (const line of res.headers.getSetCookie()) {
    const [pair] = line.split(';');
    const at = pair!.indexOf('=');
    if (pair!.slice(0, at) === COOKIE) return pair!.slice(at + 1);
  }
  return undefined;
}

/** True when `cookie` decrypts under exactly these secrets. */
const opensWith = (cookie: string, secrets: string[]) =>
  decode({ token: cookie, secret: secrets, salt: COOKIE }).then(
    (payload) => payload?.sub === 'user-1',
    () => false,
  );

/** A browser's request to the app with the session cookie, with the headers Next.js adds (Auth.js reads them). */
const request = (path: string, cookie: string) =>
  new NextRequest(`http://localhost:3000${path}`, {
    headers: { host: 'localhost:3000', 'x-forwarded-proto': 'http', cookie: `${COOKIE}=${cookie}` },
  });

/** Runs the edge middleware on a protected API with the cookie. */
const throughMiddleware = (cookie: string) => middleware(request('/api/me', cookie), {} as NextFetchEvent);

test('the middleware opens a cookie encrypted under the old secret and writes it back under the new one', async () => {
  const res = await throughMiddleware(await cookieUnder(older));
  // "session_expired", not "unauthorized": the session was read (it holds no access token, so it is refused).
  assert.equal(res.status, 401);
  assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'session_expired');
  const rewritten = writtenCookie(res);
  assert.ok(rewritten, 'the session cookie is written back');
  assert.equal(await opensWith(rewritten, [newer]), true, 'encrypted under the new secret');
  assert.equal(await opensWith(rewritten, [older]), false, 'no longer under the old one');
});

test('the middleware does not open a cookie under a secret that is not listed', async () => {
  const res = await throughMiddleware(await cookieUnder(stranger));
  assert.equal(res.status, 401);
  assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'unauthorized');
});

test("NextAuth's session route reads the old cookie, answers the session, and re-encrypts it under the new secret", async () => {
  const session = (cookie: string) => authRoute.GET(request('/api/auth/session', cookie));

  for (const secret of [older, newer]) {
    const res = await session(await cookieUnder(secret));
    assert.equal(res.status, 200);
    const body = (await res.json()) as { user?: { id: string; email: string } } | null;
    assert.equal(body?.user?.id, 'user-1');
    assert.equal(body?.user?.email, 'rotating@example.test');
    const rewritten = writtenCookie(res);
    assert.ok(rewritten);
    assert.equal(await opensWith(rewritten, [newer]), true);
    assert.equal(await opensWith(rewritten, [older]), false);
  }

  // Once the old secret is dropped (another deployment), its cookies are simply not a session.
  const dropped = await decode({ token: await cookieUnder(older), secret: [newer], salt: COOKIE }).catch(() => null);
  assert.equal(dropped, null);
  const unknown = await session(await cookieUnder(stranger));
  assert.equal(((await unknown.json()) as unknown) ?? null, null, 'no session from an unlisted secret');
});
