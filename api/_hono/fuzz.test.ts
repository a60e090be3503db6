/**
 * Fuzzing every endpoint with thousands of random and malformed requests: random JSON, huge strings,
 * wrong types, invalid UTF-8, forged and truncated tokens, header injection. Never a 5xx, never a
 * token issued, and an existing user's data and session are untouched.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import { startTestEnvironment, uniqueEmail, type TestEnvironment } from '../../test/support/environment';

let env: TestEnvironment;
before(async () => {
  // Verification on, so its routes and sign-up's mails are fuzzed too; "optional" lets the user below sign in.
  env = await startTestEnvironment({ EMAIL_VERIFICATION: 'optional' });
});
after(() => env.close());

const PASSWORD = 'correct horse battery';
const ENDPOINTS: Array<[string, string]> = [
  ['POST', '/api/v1/auth/signup'],
  ['POST', '/api/v1/auth/signin'],
  ['POST', '/api/v1/auth/refresh-token'],
  ['POST', '/api/v1/auth/signout'],
  ['POST', '/api/v1/auth/oauth'],
  ['GET', '/api/v1/auth/sessions'],
  ['DELETE', '/api/v1/auth/sessions'],
  ['DELETE', '/api/v1/auth/sessions/x'],
  ['GET', '/api/v1/auth/security-events'],
  ['POST', '/api/v1/auth/password'],
  ['DELETE', '/api/v1/auth/account'],
  ['POST', '/api/v1/auth/password-reset'],
  ['POST', '/api/v1/auth/password-reset/confirm'],
  ['POST', '/api/v1/auth/email-verification'],
  ['POST', '/api/v1/auth/email-verification/confirm'],
  ['POST', '/api/v1/auth/email'],
  ['POST', '/api/v1/auth/email/confirm'],
  // Second factors and passkeys: the public steps and the bearer's own.
  ['POST', '/api/v1/auth/mfa/verify'],
  ['GET', '/api/v1/auth/mfa'],
  ['POST', '/api/v1/auth/mfa/totp'],
  ['POST', '/api/v1/auth/mfa/totp/confirm'],
  ['DELETE', '/api/v1/auth/mfa/totp'],
  ['POST', '/api/v1/auth/mfa/recovery-codes'],
  ['POST', '/api/v1/auth/mfa/step-up'],
  ['GET', '/api/v1/auth/passkeys'],
  ['POST', '/api/v1/auth/passkeys/registration/options'],
  ['POST', '/api/v1/auth/passkeys/registration'],
  ['PATCH', '/api/v1/auth/passkeys/x'],
  ['DELETE', '/api/v1/auth/passkeys/x'],
  ['POST', '/api/v1/auth/passkeys/authentication/options'],
  ['POST', '/api/v1/auth/passkeys/authentication'],
  ['POST', '/api/v1/auth/passkeys/step-up/options'],
  ['POST', '/api/v1/auth/passkeys/step-up'],
  ['GET', '/api/v1/.well-known/jwks.json'],
  ['GET', '/api/health'],
  ['PUT', '/api/v1/auth/signin'],
  ['POST', '/api/v1/does-not-exist'],
];

/** Bodies that are wrong in every way we could think of. */
function bodies(realToken: string): fc.Arbitrary<string | Uint8Array> {
  const mutatedToken = fc
    .tuple(fc.nat({ max: realToken.length - 1 }), fc.constantFrom('A', '_', '-', '.', ''), fc.boolean())
    .map(([i, ch, truncate]) => (truncate ? realToken.slice(0, i) : realToken.slice(0, i) + ch + realToken.slice(i + 1)))
    // Replacing a character by itself gives back the genuine token, which rightly works.
    .filter((t) => t !== realToken);
  const field = fc.oneof(
    fc.string({ maxLength: 40 }),
    fc.string({ minLength: 5_000, maxLength: 30_000 }),
    fc.anything(),
    mutatedToken,
  );
  return fc.oneof(
    fc.json(),
    fc.string({ maxLength: 200 }),
    fc.uint8Array({ maxLength: 300 }),
    fc.record({ email: field, password: field }, { requiredKeys: [] }).map((o) => JSON.stringify(o)),
    fc.record({ new_email: field, password: field }, { requiredKeys: [] }).map((o) => JSON.stringify(o)),
    fc.record({ refresh_token: fc.oneof(mutatedToken, field) }).map((o) => JSON.stringify(o)),
    fc.record({ token: field }, { requiredKeys: [] }).map((o) => JSON.stringify(o)),
    fc.record({ mfa_token: field, code: field, recovery_code: field }, { requiredKeys: [] }).map((o) => JSON.stringify(o)),
    fc
      .record(
        {
          response: fc.oneof(fc.anything(), fc.record({ id: field, rawId: field, type: field, response: fc.anything() })),
          name: field,
        },
        { requiredKeys: [] },
      )
      .map((o) => JSON.stringify(o)),
    fc
      .record({ provider: field, providerAccountId: field, profile: fc.anything(), tokens: fc.anything() })
      .map((o) => JSON.stringify(o)),
    fc.constant(new Uint8Array([0x7b, 0x22, 0x65, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0xc3, 0x28, 0x22, 0x7d])), // {"e":"<invalid UTF-8>"}
  );
}

const request = fc.record({
  endpoint: fc.constantFrom(...ENDPOINTS),
  contentType: fc.constantFrom('application/json', 'text/plain', 'application/json; charset=utf-16', ''),
  authorization: fc.option(
    fc.oneof(
      fc.string({ maxLength: 80 }).map((s) => `Bearer ${s}`),
      fc.constant('Bearer eyJhbGciOiJub25lIn0.e30.'),
    ),
    { nil: undefined },
  ),
});

/** Sends raw bytes, for requests fetch refuses to build (header injection attempts). */
function rawRequest(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(text));
    let reply = '';
    socket.on('data', (d) => (reply += d.toString('latin1')));
    // Each request says `Connection: close`, so the server ends the connection once it has answered.
    socket.on('close', () => resolve(reply));
    socket.on('error', reject);
  });
}

test('thousands of hostile requests: no 5xx, no token issued, existing user untouched', async () => {
  const email = uniqueEmail('fuzz-victim');
  assert.equal((await env.post('/api/v1/auth/signup', { email, password: PASSWORD })).status, 202);
  const session = (await (await env.post('/api/v1/auth/signin', { email, password: PASSWORD })).json()) as any;
  const before = await env.services.users.findByEmail(email);

  const seen = new Map<number, number>();
  await fc.assert(
    fc.asyncProperty(
      request,
      bodies(session.refresh_token),
      async ({ endpoint: [method, path], contentType, authorization }, body) => {
        const headers: Record<string, string> = {};
        if (contentType) headers['content-type'] = contentType;
        if (authorization) headers.authorization = authorization;
        const res = await fetch(env.baseUrl + path, {
          method,
          headers,
          body: method === 'GET' ? undefined : (body as BodyInit),
        });
        const text = await res.text();
        seen.set(res.status, (seen.get(res.status) ?? 0) + 1);
        assert.ok(res.status < 500, `${method} ${path} → ${res.status}: ${text.slice(0, 200)}`);
        assert.ok(!/"(refresh_?[tT]oken|access_?[tT]oken)"\s*:\s*"/.test(text), `${method} ${path} issued a token`);
      },
    ),
    { numRuns: 2_500 },
  );

  const port = Number(new URL(env.baseUrl).port);
  for (const injected of ['1.2.3.4\r\nSet-Cookie: hijack=1', 'x\r\n\r\nGET /api/health HTTP/1.1', '\u0000\u0001']) {
    const reply = await rawRequest(
      port,
      `POST /api/v1/auth/signin HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nX-Forwarded-For: ${injected}\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}`,
    );
    const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(reply)?.[1] ?? 0);
    assert.ok(status >= 400 && status < 500, `header injection answered ${status}`);
    assert.doesNotMatch(reply, /hijack=1/);
  }

  const afterwards = await env.services.users.findByEmail(email);
  assert.deepEqual(afterwards, before, "the existing user's data is unchanged");
  assert.equal(await env.services.sessions.isActive(session.session_id), true, 'and their session still active');
  assert.equal((await env.post('/api/v1/auth/refresh-token', { refresh_token: session.refresh_token })).status, 200);
  assert.ok((seen.get(400) ?? 0) + (seen.get(401) ?? 0) > 100, `a spread of refusals: ${JSON.stringify([...seen])}`);
});
