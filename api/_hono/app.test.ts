/** HTTP integration tests of the auth API against real Redis (through the bridge) and real PostgreSQL. */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { signCallerProof, CALLER_PROOF_HEADER } from '../../lib/auth/caller-proof';
import { sleep, startTestEnvironment, uniqueEmail, type TestEnvironment } from '../../test/support/environment';

let env: TestEnvironment;
before(async () => {
  env = await startTestEnvironment({ REFRESH_GRACE_SECONDS: '1' });
});
after(() => env.close());

const PASSWORD = 'correct horse battery';

async function signUpAndIn(email = uniqueEmail()) {
  assert.equal((await env.post('/api/v1/auth/signup', { email, password: PASSWORD })).status, 201);
  const res = await env.post('/api/v1/auth/signin', { email, password: PASSWORD });
  assert.equal(res.status, 200);
  return { email, res, body: (await res.json()) as Record<string, any> };
}

const refresh = (token: string) => env.refresh(token);

describe('sign-up', () => {
  test('creates a user and never echoes the password or its hash', async () => {
    const email = uniqueEmail();
    const res = await env.post('/api/v1/auth/signup', { email, password: PASSWORD, name: 'Ada' });
    assert.equal(res.status, 201);
    const text = await res.text();
    assert.deepEqual(Object.keys(JSON.parse(text).user).sort(), ['email', 'id', 'image', 'name']);
    assert.ok(!text.includes(PASSWORD) && !text.includes('pbkdf2'));
  });

  test('the same email twice, in any case or with spaces, gets 409 email_taken', async () => {
    const email = uniqueEmail();
    assert.equal((await env.post('/api/v1/auth/signup', { email, password: PASSWORD })).status, 201);
    const again = await env.post('/api/v1/auth/signup', { email: `  ${email.toUpperCase()} `, password: PASSWORD });
    assert.equal(again.status, 409);
    assert.equal(((await again.json()) as any).error.code, 'email_taken');
  });

  test('a too-short password is refused with a message that says why', async () => {
    const res = await env.post('/api/v1/auth/signup', { email: uniqueEmail(), password: 'short' });
    assert.equal(res.status, 400);
    const body = (await res.json()) as any;
    assert.equal(body.error.code, 'invalid_request');
    assert.match(body.error.message, /password.*at least 8/);
  });

  test('a common, repetitive or personal password is refused with weak_password and a sentence that says why', async () => {
    const email = uniqueEmail('weak');
    for (const [password, why] of [
      ['qwertyuiop', /most common/],
      [' '.repeat(8), /repeated or sequential/],
      [email, /email address or name/],
    ] as const) {
      const res = await env.post('/api/v1/auth/signup', { email, password });
      const body = (await res.json()) as any;
      assert.deepEqual([res.status, body.error.code], [400, 'weak_password'], password);
      assert.match(body.error.message, why);
    }
  });
});

describe('bad input gets a clear 4xx, never a 500', () => {
  const cases: Array<[string, string | undefined, Record<string, string>, number, string]> = [
    ['malformed JSON', '{"email": ', {}, 400, 'invalid_request'],
    ['a JSON array', '[]', {}, 400, 'invalid_request'],
    ['wrong types', JSON.stringify({ email: 42, password: true }), {}, 400, 'invalid_request'],
    ['unknown fields', JSON.stringify({ email: 'a@b.test', password: PASSWORD, admin: true }), {}, 400, 'invalid_request'],
    [
      'a non-JSON content type',
      'email=a@b.test',
      { 'content-type': 'application/x-www-form-urlencoded' },
      415,
      'unsupported_media_type',
    ],
    ['an oversize body', JSON.stringify({ email: 'a@b.test', password: 'x'.repeat(100_000) }), {}, 413, 'payload_too_large'],
  ];
  for (const [what, body, headers, status, code] of cases) {
    test(`sign-up with ${what} → ${status} ${code}`, async () => {
      const res = await env.post('/api/v1/auth/signup', body, headers);
      assert.equal(res.status, status);
      assert.equal(((await res.json()) as any).error.code, code);
    });
  }

  // A body sent in chunks has no Content-Length: its size is only known by reading it.
  const chunked = (text: string, chunks: number) =>
    fetch(`${env.baseUrl}/api/v1/auth/signup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: new ReadableStream({
        start(controller) {
          const size = Math.ceil(text.length / chunks);
          for (let i = 0; i < text.length; i += size) controller.enqueue(new TextEncoder().encode(text.slice(i, i + size)));
          controller.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);

  test('an oversize chunked body (no Content-Length) → 413 payload_too_large', async () => {
    const res = await chunked(JSON.stringify({ email: 'a@b.test', password: 'x'.repeat(100_000) }), 10);
    assert.equal(res.status, 413);
    assert.equal(((await res.json()) as any).error.code, 'payload_too_large');
  });

  test('a small chunked body is read whole and validated like any other', async () => {
    const res = await chunked(JSON.stringify({ email: uniqueEmail(), password: 'short' }), 3);
    assert.equal(res.status, 400);
    assert.match(((await res.json()) as any).error.message, /password.*at least 8/);
  });

  test('a body refused by its declared length closes the connection, so no client reuses a socket with unread bytes on it', async () => {
    const { port } = new URL(env.baseUrl);
    // Only the first bytes of the declared 100 kB are sent: the server must answer without waiting for the rest.
    const answer = await new Promise<string>((resolve, reject) => {
      let text = '';
      const socket = connect(Number(port), '127.0.0.1', () =>
        socket.write(
          'POST /api/v1/auth/signup HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n' +
            'Connection: keep-alive\r\nContent-Length: 100000\r\n\r\n{"email":',
        ),
      );
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => (text += chunk));
      // The server ends the connection itself after its answer.
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    assert.match(answer, /^HTTP\/1\.1 413 /);
    assert.match(answer, /\r\nconnection: close\r\n/i);
  });

  test('an unknown route → 404 not_found as JSON', async () => {
    const res = await fetch(`${env.baseUrl}/api/v1/nope`);
    assert.equal(res.status, 404);
    assert.equal(((await res.json()) as any).error.code, 'not_found');
  });

  test('refresh without any token → 400 invalid_request', async () => {
    const res = await env.post('/api/v1/auth/refresh-token', {});
    assert.equal(res.status, 400);
  });
});

describe('sign-in', () => {
  test('wrong password and unknown email get the identical 401', async () => {
    const { email } = await signUpAndIn();
    const wrong = await env.post('/api/v1/auth/signin', { email, password: 'not the password' });
    const unknown = await env.post('/api/v1/auth/signin', { email: uniqueEmail('ghost'), password: 'not the password' });
    assert.equal(wrong.status, 401);
    assert.equal(unknown.status, 401);
    assert.deepEqual(await wrong.json(), await unknown.json());
  });

  test('returns tokens and a path-scoped HttpOnly SameSite=Lax refresh cookie', async () => {
    const { res, body } = await signUpAndIn();
    assert.equal(typeof body.access_token, 'string');
    assert.match(body.refresh_token, /^rt2\./);
    assert.ok(body.access_token_expires_at > Date.now() && body.refresh_token_expires_at > body.access_token_expires_at);
    const cookie = res.headers.get('set-cookie') ?? '';
    assert.match(cookie, /^refresh_token=rt2\./);
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Lax/);
    assert.match(cookie, /Path=\/api\/v1\/auth/);
  });

  test('the access token verifies against the published JWKS by kid', async () => {
    const { body } = await signUpAndIn();
    const jwks = (await (await fetch(`${env.baseUrl}/api/v1/.well-known/jwks.json`)).json()) as any;
    assert.ok(
      jwks.keys.every((k: any) => k.d === undefined),
      'JWKS must not contain private members',
    );
    const { payload, protectedHeader } = await jwtVerify(body.access_token, createLocalJWKSet(jwks), {
      issuer: env.config.jwtIssuer,
      audience: env.config.JWT_AUDIENCE,
    });
    assert.equal(protectedHeader.kid, jwks.keys[0].kid);
    assert.equal(payload.sub, body.user.id);
    assert.equal(payload.sid, body.session_id);
    assert.equal(payload.provider, 'credentials');
    assert.equal(decodeProtectedHeader(body.access_token).alg, 'ES256');
  });

  test('sign-in and refresh answer with one shape: the OAuth 2.0 token response plus the session, in snake_case', async () => {
    const { body } = await signUpAndIn();
    const rotated = (await refresh(body.refresh_token)).body;
    const tokenFields = [
      'access_token',
      'token_type',
      'expires_in',
      'access_token_expires_at',
      'refresh_token',
      'refresh_token_expires_at',
      'session_id',
      'user_id',
      'provider',
      'aal',
      'amr',
    ];
    assert.deepEqual(Object.keys(body).sort(), [...tokenFields, 'user'].sort(), 'sign-in adds the user');
    assert.deepEqual(Object.keys(rotated).sort(), [...tokenFields].sort(), 'a refresh does not read the user');
    for (const r of [body, rotated]) {
      assert.equal(r.token_type, 'Bearer');
      assert.ok(Number.isInteger(r.expires_in) && r.expires_in > 0 && r.expires_in <= env.config.ACCESS_TOKEN_TTL_SECONDS);
      assert.equal(r.user_id, body.user.id);
      assert.equal(r.session_id, body.session_id);
      assert.equal(r.provider, 'credentials');
    }
  });
});

describe('refresh-token rotation', () => {
  test('rotates: a new pair each time, and the successor works', async () => {
    const { body } = await signUpAndIn();
    const first = await refresh(body.refresh_token);
    assert.equal(first.status, 200);
    assert.notEqual(first.body.refresh_token, body.refresh_token);
    assert.equal(first.body.token_type, 'Bearer');
    const second = await refresh(first.body.refresh_token);
    assert.equal(second.status, 200);
    assert.notEqual(second.body.refresh_token, first.body.refresh_token);
  });

  test('the just-rotated token inside the grace window gets the same successor (two tabs)', async () => {
    const { body } = await signUpAndIn();
    const a = await refresh(body.refresh_token);
    const b = await refresh(body.refresh_token);
    assert.equal(a.status, 200);
    assert.equal(b.status, 200);
    assert.equal(b.body.refresh_token, a.body.refresh_token);
  });

  test('a token older than the predecessor is reuse: 401 token_reused and the successor dies too', async () => {
    const { body } = await signUpAndIn();
    const rotated = await refresh(body.refresh_token);
    const newest = await refresh(rotated.body.refresh_token);
    assert.equal(newest.status, 200);
    const replay = await refresh(body.refresh_token);
    assert.equal(replay.status, 401);
    assert.equal(replay.body.error.code, 'token_reused');
    const successor = await refresh(newest.body.refresh_token);
    assert.equal(successor.status, 401);
    assert.equal(successor.body.error.code, 'token_revoked');
  });

  test('the refresh cookie alone is enough', async () => {
    const { res } = await signUpAndIn();
    const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0]!;
    const next = await env.post('/api/v1/auth/refresh-token', undefined, { cookie });
    assert.equal(next.status, 200);
    assert.match(next.headers.get('set-cookie') ?? '', /^refresh_token=rt2\./);
  });

  test('a bodiless JSON POST with the cookie signs out, and the cookie then refreshes nothing', async () => {
    const { res, body } = await signUpAndIn();
    const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0]!;
    const out = await env.post('/api/v1/auth/signout', undefined, { cookie });
    assert.equal(out.status, 204);
    assert.match(out.headers.get('set-cookie') ?? '', /^refresh_token=;/);
    assert.equal((await refresh(body.refresh_token)).status, 401);
  });

  // Issue 21, item 6: a form or a no-cors fetch from a same-site origin sends the cookie, but never JSON.
  describe('with the cookie as the only credential, anything but JSON is refused before any work', () => {
    const cases: Array<[string, Record<string, string>, string | undefined]> = [
      ['bodiless text/plain', { 'content-type': 'text/plain' }, undefined],
      ['text/plain with a body', { 'content-type': 'text/plain' }, 'x'],
      ['bodiless, no content type', {}, undefined],
      ['bodiless form', { 'content-type': 'application/x-www-form-urlencoded' }, undefined],
      ['form with a body', { 'content-type': 'application/x-www-form-urlencoded' }, 'a=b'],
      ['bodiless multipart', { 'content-type': 'multipart/form-data; boundary=x' }, undefined],
      ['json in the wrong place', { 'content-type': 'text/plain; application/json' }, undefined],
    ];
    for (const path of ['/api/v1/auth/signout', '/api/v1/auth/refresh-token']) {
      for (const [name, headers, payload] of cases) {
        test(`${path}: ${name} → 415, and the session lives on`, async () => {
          const { res, body } = await signUpAndIn();
          const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0]!;
          const commandsBefore = env.commands.length;
          const refused = await fetch(env.baseUrl + path, { method: 'POST', headers: { ...headers, cookie }, body: payload });
          assert.equal(refused.status, 415);
          assert.equal(((await refused.json()) as any).error.code, 'unsupported_media_type');
          assert.equal(refused.headers.get('set-cookie'), null, 'the cookie is neither cleared nor replaced');
          assert.equal(env.commands.length, commandsBefore, 'no Redis command ran: nothing was revoked or rotated');
          // The session is intact: the token still rotates, and the cookie with JSON still works.
          const rotated = await refresh(body.refresh_token);
          assert.equal(rotated.status, 200);
          const next = await env.post(path, undefined, { cookie: `refresh_token=${rotated.body.refresh_token}` });
          assert.equal(next.status, path.endsWith('signout') ? 204 : 200);
        });
      }
    }

    test('a JSON content type with parameters or a +json suffix is JSON', async () => {
      for (const type of ['application/json; charset=utf-8', 'Application/JSON', 'application/vnd.api+json']) {
        const { res } = await signUpAndIn();
        const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0]!;
        const next = await fetch(`${env.baseUrl}/api/v1/auth/refresh-token`, {
          method: 'POST',
          headers: { 'content-type': type, cookie },
        });
        assert.equal(next.status, 200, type);
      }
    });

    test('a token in a JSON body needs no cookie, and a missing token is still 400', async () => {
      const { body } = await signUpAndIn();
      assert.equal((await env.post('/api/v1/auth/refresh-token', { refresh_token: body.refresh_token })).status, 200);
      const none = await fetch(`${env.baseUrl}/api/v1/auth/signout`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
      });
      assert.equal(none.status, 400);
    });
  });

  test('token responses are JSON that no cache may keep (RFC 6749 §5.1), with exactly one refresh cookie', async () => {
    const { res, body } = await signUpAndIn();
    const next = await env.post('/api/v1/auth/refresh-token', { refresh_token: body.refresh_token });
    assert.equal(next.status, 200);
    for (const answer of [res, next]) {
      assert.equal(answer.headers.get('content-type'), 'application/json');
      assert.equal(answer.headers.get('cache-control'), 'no-store');
      assert.equal(answer.headers.getSetCookie().length, 1);
    }
    assert.equal(((await next.json()) as any).token_type, 'Bearer');
  });

  test('forged, truncated and tampered tokens get 401 invalid_token', async () => {
    const { body } = await signUpAndIn();
    const token: string = body.refresh_token;
    const tampered = token.slice(0, 40) + (token[40] === 'A' ? 'B' : 'A') + token.slice(41);
    for (const bad of ['rt1.garbage', token.slice(0, -3), tampered, 'x'.repeat(300)]) {
      const res = await refresh(bad);
      assert.equal(res.status, 401, bad);
      assert.equal(res.body.error.code, 'invalid_token');
    }
    assert.equal((await refresh(token)).status, 200, 'the genuine token still works');
  });
});

describe('lost responses and theft, after the grace window (1 s here)', () => {
  /** Sleeping longer than the window is never early: timers do not fire ahead of time. */
  const afterTheWindow = () => sleep(1_300);

  /** The user's security events, read from a second device (the attacked session is gone by then). */
  async function reuseEvents(email: string) {
    const other = (await (await env.post('/api/v1/auth/signin', { email, password: PASSWORD })).json()) as any;
    const res = await fetch(`${env.baseUrl}/api/v1/auth/security-events`, {
      headers: { authorization: `Bearer ${other.access_token}` },
    });
    const { events } = (await res.json()) as { events: Array<{ type: string; session_id?: string }> };
    return events.filter((e) => e.type === 'refresh_token_reuse');
  }

  test('a lost response retried after the window gets the same successor, the chain continues, no security event', async () => {
    const { email, body } = await signUpAndIn();
    const lost = await refresh(body.refresh_token);
    assert.equal(lost.status, 200, 'the server rotated; the client never saw this answer');
    await afterTheWindow();
    const retry = await refresh(body.refresh_token);
    assert.equal(retry.status, 200);
    assert.equal(retry.body.refresh_token, lost.body.refresh_token, 'the successor the server recorded');
    const again = await refresh(body.refresh_token);
    assert.equal(
      again.body.refresh_token,
      lost.body.refresh_token,
      'a retry of the recovery (its answer lost too) gets it again',
    );
    const next = await refresh(retry.body.refresh_token);
    assert.equal(next.status, 200);
    assert.equal((await refresh(next.body.refresh_token)).status, 200, 'the chain goes on');
    assert.deepEqual(await reuseEvents(email), []);
  });

  test('a theft after the chain moved on revokes the family and records an event', async () => {
    const { email, body } = await signUpAndIn();
    const stolen = body.refresh_token;
    const t1 = await refresh(stolen);
    const t2 = await refresh(t1.body.refresh_token);
    assert.equal(t2.status, 200);
    await afterTheWindow();
    const theft = await refresh(stolen);
    assert.equal(theft.status, 401);
    assert.equal(theft.body.error.code, 'token_reused');
    assert.equal((await refresh(t2.body.refresh_token)).body.error.code, 'token_revoked');
    assert.deepEqual(
      (await reuseEvents(email)).map((e) => e.session_id),
      [body.session_id],
    );
  });

  // Which of the two uses the shared token first makes no difference to the server: the same requests.
  test('a thief and the honest client both holding the predecessor: one advances, the other is caught at its next use', async () => {
    const { email, body } = await signUpAndIn();
    const honest = await refresh(body.refresh_token);
    await afterTheWindow();
    const thief = await refresh(body.refresh_token);
    assert.equal(thief.status, 200, 'the predecessor of an unused token looks like a lost response');
    assert.equal(thief.body.refresh_token, honest.body.refresh_token, 'at most the successor the honest client already holds');
    const shared: string = honest.body.refresh_token;
    const advanced = await refresh(shared);
    assert.equal(advanced.status, 200, 'one of them uses the shared token first');
    await afterTheWindow();
    const caught = await refresh(shared);
    assert.equal(caught.status, 401, 'the other one, one step behind');
    assert.equal(caught.body.error.code, 'token_reused');
    assert.equal((await refresh(advanced.body.refresh_token)).body.error.code, 'token_revoked');
    assert.equal((await reuseEvents(email)).length, 1);
  });

  test('a thief and the honest client taking turns on one shared token are revoked within two rotations', async () => {
    const { email, body } = await signUpAndIn();
    // Each turn: one side rotates its token; the other presents the parent of what that side just got.
    const held = [body.refresh_token as string, body.refresh_token as string];
    let rotations = 0;
    let refusal: string | undefined;
    for (let turn = 0; turn < 4 && !refusal; turn++) {
      const mover = turn % 2;
      const next = await refresh(held[mover]!);
      assert.equal(next.status, 200);
      rotations += 1;
      held[mover] = next.body.refresh_token;
      await afterTheWindow();
      const follower = await refresh(held[1 - mover]!);
      if (follower.status === 200) held[1 - mover] = follower.body.refresh_token;
      else refusal = follower.body.error.code;
    }
    assert.equal(refusal, 'token_reused', "GoTrue's parent-of-active rule would let both sides follow the chain forever");
    assert.ok(rotations <= 2, `revoked after ${rotations} rotations`);
    assert.equal((await refresh(held[0]!)).body.error.code, 'token_revoked');
    assert.equal((await reuseEvents(email)).length, 1);
  });
});

describe('sign-out', () => {
  test('revokes the family: its refresh token is refused afterwards', async () => {
    const { body } = await signUpAndIn();
    const rotated = await refresh(body.refresh_token);
    const out = await env.post('/api/v1/auth/signout', { refresh_token: rotated.body.refresh_token });
    assert.equal(out.status, 204);
    const after = await refresh(rotated.body.refresh_token);
    assert.equal(after.status, 401);
    assert.equal(after.body.error.code, 'token_revoked');
  });

  test('signing out one device leaves another device signed in', async () => {
    const { email, body: first } = await signUpAndIn();
    const second = (await (await env.post('/api/v1/auth/signin', { email, password: PASSWORD })).json()) as any;
    assert.equal((await env.post('/api/v1/auth/signout', { refresh_token: first.refresh_token })).status, 204);
    assert.equal((await refresh(second.refresh_token)).status, 200);
  });
});

describe('oauth endpoint', () => {
  const body = () =>
    JSON.stringify({
      provider: 'github',
      providerAccountId: crypto.randomUUID(),
      profile: { email: uniqueEmail('oauth'), emailVerified: true, name: 'Octo' },
      tokens: { type: 'oauth', accessToken: 'gho_x' },
    });

  test('an anonymous call naming any account gets 401 and issues nothing', async () => {
    const res = await env.post('/api/v1/auth/oauth', body());
    assert.equal(res.status, 401);
    const json = (await res.json()) as any;
    assert.equal(json.error.code, 'unauthorized_client');
    assert.equal(json.access_token, undefined);
  });

  test('a call signed by this deployment signs in, once', async () => {
    const text = body();
    const headers = { [CALLER_PROOF_HEADER]: await signCallerProof(env.config.OAUTH_CALLER_SECRET, text) };
    const res = await env.post('/api/v1/auth/oauth', text, headers);
    assert.equal(res.status, 200);
    assert.match(((await res.json()) as any).refresh_token, /^rt2\./);
    assert.equal((await env.post('/api/v1/auth/oauth', text, headers)).status, 401, 'replay refused');
  });
});

describe('health', () => {
  test('reports Redis and the database up, with latency, and no secrets', async () => {
    const res = await fetch(`${env.baseUrl}/api/health`);
    assert.equal(res.status, 200);
    const text = await res.text();
    const report = JSON.parse(text);
    assert.equal(report.checks.redis.status, 'up');
    assert.equal(report.checks.database.status, 'up');
    assert.equal(typeof report.checks.redis.latencyMs, 'number');
    assert.ok(!text.includes(env.config.UPSTASH_REDIS_REST_TOKEN) && !text.includes('postgresql://'));
  });
});
