/**
 * The Hono API as deployed: the edge route of the built app, reaching the database over HTTP (the local
 * Accelerate endpoint, as Prisma Accelerate in production) and Redis through the Upstash REST bridge.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { APP_URL, mailedLink, mailsTo, uniqueEmail } from './support/browser';

const post = (path: string, body: unknown) =>
  fetch(`${APP_URL}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

test('sign-up, sign-in, refresh and sign-out through the edge route, with health reporting both stores up', async () => {
  const health = await fetch(`${APP_URL}/api/health`);
  assert.equal(health.status, 200);
  const report = (await health.json()) as { checks: Record<string, { status: string }> };
  assert.equal(report.checks.redis?.status, 'up');
  assert.equal(report.checks.database?.status, 'up');

  const email = uniqueEmail('edge');
  const password = 'an edge-route passphrase';
  // 202 "check your email": the browser tests run with EMAIL_VERIFICATION=optional.
  assert.equal((await post('/api/v1/auth/signup', { email, password })).status, 202);
  // The account is created after the answer (docs/security.md, "Account enumeration by timing"), then mailed.
  assert.equal((await mailsTo(email)).length, 1, 'the verification link arrives, after() ran on the edge route');
  const signin = await post('/api/v1/auth/signin', { email, password });
  assert.equal(signin.status, 200);
  assert.match(signin.headers.get('set-cookie') ?? '', /refresh_token=rt2\..*Path=\/api\/v1\/auth.*HttpOnly/i);
  const session = (await signin.json()) as { refresh_token: string };
  const rotated = await post('/api/v1/auth/refresh-token', { refresh_token: session.refresh_token });
  assert.equal(rotated.status, 200);
  const next = ((await rotated.json()) as { refresh_token: string }).refresh_token;
  assert.equal((await post('/api/v1/auth/signout', { refresh_token: next })).status, 204);
  const after = await post('/api/v1/auth/refresh-token', { refresh_token: next });
  assert.equal(((await after.json()) as { error: { code: string } }).error.code, 'token_revoked');
  assert.equal(health.headers.get('x-frame-options'), 'DENY', 'security headers are sent');
});

test('the edge route refuses a common password with weak_password: the shipped list is bundled for the edge', async () => {
  const res = await post('/api/v1/auth/signup', { email: uniqueEmail('edge-weak'), password: 'Iloveyou1' });
  const body = (await res.json()) as { error: { code: string; message: string } };
  assert.deepEqual([res.status, body.error.code], [400, 'weak_password']);
  assert.match(body.error.message, /most common passwords/);
});

test('the email change is served by the edge route too: 202, the link mailed after the answer, then confirmed', async () => {
  const email = uniqueEmail('edge-move');
  const next = uniqueEmail('edge-moved');
  const password = 'an edge-route passphrase';
  assert.equal((await post('/api/v1/auth/signup', { email, password })).status, 202);
  await mailsTo(email);
  const session = (await (await post('/api/v1/auth/signin', { email, password })).json()) as { access_token: string };
  const asked = await fetch(`${APP_URL}/api/v1/auth/email`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${session.access_token}` },
    body: JSON.stringify({ new_email: next, password }),
  });
  assert.equal(asked.status, 202);
  const token = new URL(await mailedLink(next, '/change-email')).searchParams.get('token');
  const done = await post('/api/v1/auth/email/confirm', { token });
  assert.deepEqual([done.status, await done.json()], [200, { email: next, email_verified: true }]);
  assert.equal((await post('/api/v1/auth/signin', { email: next, password })).status, 200);
});
