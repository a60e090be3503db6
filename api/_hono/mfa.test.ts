/**
 * Second factors and passkeys over HTTP: TOTP enrolment and sign-in (codes computed with the library the
 * server uses, as an authenticator app would), recovery codes, the half-signed-in token, brute force, step-up
 * on every sensitive action, passkeys through a software authenticator that can lie (origin, RP id,
 * counter), and the assurance level kept across refreshes with one EVALSHA each.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import { totpCode } from '../../lib/mfa/totp';
import { AssuranceStore } from '../../lib/tokens/assurance';
import { startTestEnvironment, uniqueEmail, type TestEnvironment } from '../../test/support/environment';
import { SoftAuthenticator } from '../../test/support/soft-authenticator';
import { outbox } from '../../test/support/outbox';
import { MfaRequiredError } from '../../lib/mfa/errors';

let env: TestEnvironment;
before(async () => {
  env = await startTestEnvironment({ APP_URL: 'http://localhost:3000', RATE_LIMIT_SECOND_FACTOR_PER_ACCOUNT: '10/900' });
});
after(() => env.close());

const PASSWORD = 'correct horse battery';
const ORIGIN = 'http://localhost:3000';
type Json = Record<string, any>;

/** Calls `/api/v1/auth<path>` (test/support/environment.ts). */
const call: TestEnvironment['call'] = (...args) => env.call(...args);

async function newUser(label: string) {
  const email = uniqueEmail(label);
  assert.equal((await call('POST', '/signup', undefined, { email, password: PASSWORD })).status, 201);
  const signIn = await call('POST', '/signin', undefined, { email, password: PASSWORD });
  assert.equal(signIn.status, 200);
  return { email, session: signIn.body };
}

/** A user with TOTP on: the secret (as the app shows it), the recovery codes and the enrolling session. */
async function userWithTotp(label = 'totp') {
  const { email, session } = await newUser(label);
  const started = await call('POST', '/mfa/totp', session.access_token, {});
  assert.equal(started.status, 201);
  assert.match(started.body.qr_svg, /^<svg/);
  assert.match(started.body.otpauth_uri, /^otpauth:\/\/totp\//);
  const confirmed = await call('POST', '/mfa/totp/confirm', session.access_token, { code: totpCode(started.body.secret) });
  assert.equal(confirmed.status, 200, JSON.stringify(confirmed.body));
  return { email, session, secret: started.body.secret as string, recoveryCodes: confirmed.body.recovery_codes as string[] };
}

/** A code of the next time step: the current one was spent by the enrolment (a replay would be refused). */
const nextCode = (secret: string, steps = 1) => totpCode(secret, Date.now() + steps * 30_000);

/** Registers a passkey for the session; returns the authenticator. */
async function withPasskey(accessToken: string, name = 'Laptop') {
  const authenticator = new SoftAuthenticator(ORIGIN);
  const options = await call('POST', '/passkeys/registration/options', accessToken, {});
  assert.equal(options.status, 200);
  const registered = await call('POST', '/passkeys/registration', accessToken, {
    response: await authenticator.register(options.body as any),
    name,
  });
  assert.equal(registered.status, 201, JSON.stringify(registered.body));
  return { authenticator, passkey: registered.body.passkey as Json };
}

async function passkeySignIn(authenticator: SoftAuthenticator, lies = {}) {
  const options = await call('POST', '/passkeys/authentication/options', undefined, {});
  assert.equal(options.status, 200);
  return call('POST', '/passkeys/authentication', undefined, { response: await authenticator.assert(options.body as any, lies) });
}

describe('TOTP', () => {
  test('enrolment stores the secret encrypted, ends with 10 recovery codes, and the session becomes aal2', async () => {
    const { email, session, secret, recoveryCodes } = await userWithTotp();
    assert.equal(recoveryCodes.length, 10);
    assert.equal(new Set(recoveryCodes).size, 10);
    const status = await call('GET', '/mfa', session.access_token);
    assert.equal(status.body.totp_enabled, true);
    assert.equal(status.body.recovery_codes_left, 10);
    assert.equal(status.body.session.aal, 'aal2');
    assert.deepEqual(status.body.session.amr, ['pwd', 'otp']);
    const user = await env.services.users.findByEmail(email);
    const rows = await (env.services.mfa as any).deps.store.totp(user!.id);
    assert.ok(!rows.secret.includes(secret), 'the seed is not stored in clear');
    assert.match(rows.secret, /^v1\./);
    const events = await call('GET', '/security-events', session.access_token);
    assert.equal(events.body.events[0].type, 'totp_enabled');
  });

  test('sign-in asks for the code after the password; the half-signed-in token is no session and works once', async () => {
    const { email, secret } = await userWithTotp();
    const first = await call('POST', '/signin', undefined, { email, password: PASSWORD });
    assert.equal(first.status, 403);
    assert.equal(first.body.error.code, 'mfa_required');
    const mfaToken = first.body.error.mfa_token as string;
    assert.deepEqual(first.body.error.methods, ['totp', 'recovery_code']);
    assert.equal(first.body.access_token, undefined);

    // The half-signed-in token grants nothing else: not as a bearer, not as a refresh token.
    assert.equal((await call('GET', '/sessions', mfaToken)).status, 401);
    assert.equal((await call('GET', '/mfa', mfaToken)).body.error.code, 'invalid_token');
    assert.equal((await env.refresh(mfaToken)).body.error.code, 'invalid_token');

    const wrong = await call('POST', '/mfa/verify', undefined, {
      mfa_token: mfaToken,
      code: '000000' === nextCode(secret) ? '111111' : '000000',
    });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.body.error.code, 'invalid_mfa_code');

    const code = nextCode(secret);
    const done = await call('POST', '/mfa/verify', undefined, { mfa_token: mfaToken, code });
    assert.equal(done.status, 200, JSON.stringify(done.body));
    assert.equal(done.body.aal, 'aal2');
    assert.deepEqual(done.body.amr, ['pwd', 'otp']);
    assert.deepEqual((({ aal, amr }) => ({ aal, amr }))(decodeJwt(done.body.access_token) as Json), {
      aal: 'aal2',
      amr: ['pwd', 'otp'],
    });

    const again = await call('POST', '/mfa/verify', undefined, { mfa_token: mfaToken, code: nextCode(secret) });
    assert.equal(again.body.error.code, 'invalid_mfa_token', 'the token works once');

    // The same code in a new sign-in is a replay inside its window: refused.
    const second = await call('POST', '/signin', undefined, { email, password: PASSWORD });
    const replay = await call('POST', '/mfa/verify', undefined, { mfa_token: second.body.error.mfa_token, code });
    assert.equal(replay.status, 401);
    assert.match(replay.body.error.message, /already used/);
  });

  test('a recovery code signs in once, and the owner is told how many are left', async () => {
    const { email, recoveryCodes } = await userWithTotp('recovery');
    const mfaToken = (await call('POST', '/signin', undefined, { email, password: PASSWORD })).body.error.mfa_token;
    const done = await call('POST', '/mfa/verify', undefined, {
      mfa_token: mfaToken,
      recovery_code: recoveryCodes[0]!.toUpperCase(),
    });
    assert.equal(done.status, 200);
    assert.deepEqual(done.body.amr, ['pwd', 'recovery_code']);
    const next = (await call('POST', '/signin', undefined, { email, password: PASSWORD })).body.error.mfa_token;
    const reused = await call('POST', '/mfa/verify', undefined, { mfa_token: next, recovery_code: recoveryCodes[0] });
    assert.equal(reused.body.error.code, 'invalid_mfa_code');
    const events = (await call('GET', '/security-events', done.body.access_token)).body.events as Json[];
    const used = events.find((e) => e.type === 'recovery_code_used');
    assert.equal(used?.recovery_codes_left, 9);
    // The owner is mailed too (the local outbox): TOTP turned on, and the recovery code with how many are left.
    const subjects = (await outbox(env.services.redis, email)).map((m) => m.subject);
    assert.ok(
      subjects.some((s) => /recovery code was used.*9 left/.test(s)),
      subjects.join(' | '),
    );
    assert.ok(subjects.some((s) => /turned on/.test(s)));
  });

  test('an OAuth sign-in of an account with TOTP on asks for the code too', async () => {
    const identity = {
      provider: 'github',
      providerAccountId: crypto.randomUUID(),
      email: uniqueEmail('oauth-totp'),
      emailVerified: true,
      account: { type: 'oauth' },
    };
    const first = await env.services.auth.signInWithOAuth(identity, { ip: '127.0.0.1' });
    const started = await call('POST', '/mfa/totp', first.accessToken, {});
    const secret = started.body.secret as string;
    assert.equal((await call('POST', '/mfa/totp/confirm', first.accessToken, { code: totpCode(secret) })).status, 200);
    const refused = await env.services.auth.signInWithOAuth(identity, { ip: '127.0.0.1' }).catch((e: unknown) => e);
    assert.ok(refused instanceof MfaRequiredError);
    const done = await call('POST', '/mfa/verify', undefined, { mfa_token: refused.mfaToken, code: nextCode(secret) });
    assert.equal(done.status, 200);
    assert.equal(done.body.provider, 'github');
    assert.deepEqual(done.body.amr, ['oauth', 'otp']);
  });

  test('brute-forcing the code hits the account limit (429), and the streak is recorded', async () => {
    const { email, secret, session } = await userWithTotp('brute');
    const mfaToken = (await call('POST', '/signin', undefined, { email, password: PASSWORD })).body.error.mfa_token;
    const valid = new Set([-1, 0, 1].map((s) => totpCode(secret, Date.now() + s * 30_000)));
    const guesses = Array.from({ length: 40 }, (_, i) => String(100000 + i * 7919).slice(0, 6)).filter((g) => !valid.has(g));
    const statuses: number[] = [];
    for (const code of guesses.slice(0, 11))
      statuses.push((await call('POST', '/mfa/verify', undefined, { mfa_token: mfaToken, code })).status);
    assert.deepEqual(statuses, [...Array(10).fill(401), 429]);
    const right = await call('POST', '/mfa/verify', undefined, { mfa_token: mfaToken, code: nextCode(secret) });
    assert.equal(right.status, 429, 'even the right code waits until the window slides');
    const events = (await call('GET', '/security-events', session.access_token)).body.events as Json[];
    assert.ok(events.some((e) => e.type === 'second_factor_failures'));
  });

  test('bad input gets clear 4xx codes, never 500', async () => {
    const { session } = await newUser('bad-input');
    const cases: Array<[string, string, unknown, string | undefined]> = [
      ['POST', '/mfa/verify', { mfa_token: 'x', code: '123456' }, undefined],
      ['POST', '/mfa/verify', { mfa_token: `mfa1.${'a'.repeat(43)}`, code: 'abcdef' }, undefined],
      ['POST', '/mfa/verify', { mfa_token: `mfa1.${'a'.repeat(43)}`, code: '123456', recovery_code: 'aaaaa-aaaaa' }, undefined],
      ['POST', '/mfa/verify', '{not json', undefined],
      ['POST', '/mfa/verify', { mfa_token: `mfa1.${'a'.repeat(43)}`, code: '123456' }, undefined],
      ['POST', '/mfa/totp/confirm', { code: 12 }, session.access_token],
      ['POST', '/mfa/totp/confirm', { code: '123456' }, session.access_token],
      ['DELETE', '/mfa/totp', undefined, session.access_token],
      ['POST', '/mfa/recovery-codes', undefined, session.access_token],
      ['POST', '/mfa/step-up', { code: '123456' }, session.access_token],
      ['POST', '/mfa/totp', { extra: 1 }, session.access_token],
      ['POST', '/passkeys/registration', { response: { id: 'x' } }, session.access_token],
      ['POST', '/passkeys/authentication', { response: 'nope' }, undefined],
      [
        'POST',
        '/passkeys/authentication',
        {
          response: {
            id: 'a',
            rawId: 'a',
            type: 'public-key',
            response: { clientDataJSON: 'e30', authenticatorData: 'AA', signature: 'AA' },
          },
        },
        undefined,
      ],
      ['POST', '/passkeys/step-up/options', {}, session.access_token],
      ['PATCH', '/passkeys/nope', { name: '' }, session.access_token],
      ['PATCH', '/passkeys/nope', { name: 'x' }, session.access_token],
      ['DELETE', '/passkeys/nope', undefined, session.access_token],
    ];
    for (const [method, path, body, token] of cases) {
      const res = await call(method, path, token, body);
      assert.ok(res.status >= 400 && res.status < 500, `${method} ${path} ${JSON.stringify(body)} → ${res.status}`);
      assert.equal(typeof res.body.error.code, 'string');
    }
  });
});

describe('passkeys', () => {
  test('register, list, rename, sign in (aal2, amr webauthn), remove; security events for both', async () => {
    const { session } = await newUser('passkey');
    const { authenticator, passkey } = await withPasskey(session.access_token, 'My laptop');
    assert.equal((await call('PATCH', `/passkeys/${passkey.id}`, session.access_token, { name: 'Work laptop' })).status, 204);
    const list = (await call('GET', '/passkeys', session.access_token)).body.passkeys as Json[];
    assert.deepEqual(
      list.map((p) => p.name),
      ['Work laptop'],
    );
    assert.equal(list[0]!.last_used_at, null);

    const signedIn = await passkeySignIn(authenticator);
    assert.equal(signedIn.status, 200, JSON.stringify(signedIn.body));
    assert.equal(signedIn.body.user_id, session.user_id);
    assert.equal(signedIn.body.provider, 'passkey');
    assert.equal(signedIn.body.aal, 'aal2');
    assert.deepEqual(decodeJwt(signedIn.body.access_token).amr, ['webauthn']);
    assert.ok((await call('GET', '/passkeys', session.access_token)).body.passkeys[0].last_used_at > 0);

    // Removing needs a fresh second factor: the passkey session has one; the password session does not.
    assert.equal((await call('DELETE', `/passkeys/${passkey.id}`, session.access_token)).body.error.code, 'step_up_required');
    assert.equal((await call('DELETE', `/passkeys/${passkey.id}`, signedIn.body.access_token)).status, 204);
    assert.equal((await passkeySignIn(authenticator)).body.error.code, 'passkey_rejected');
    const types = ((await call('GET', '/security-events', signedIn.body.access_token)).body.events as Json[]).map((e) => e.type);
    assert.deepEqual(types.slice(0, 2), ['passkey_removed', 'passkey_added']);
  });

  test('a replayed or expired challenge, another origin or RP id, a counter going backwards, an unknown authenticator: refused', async () => {
    const { session } = await newUser('passkey-lies');
    const { authenticator } = await withPasskey(session.access_token);

    // Replay: the same signed response twice; only the first is accepted.
    const options = (await call('POST', '/passkeys/authentication/options', undefined, {})).body as any;
    const response = await authenticator.assert(options);
    assert.equal((await call('POST', '/passkeys/authentication', undefined, { response })).status, 200);
    const accepted = authenticator.counter;
    const replayed = await call('POST', '/passkeys/authentication', undefined, { response });
    assert.equal(replayed.status, 401);
    assert.equal(replayed.body.error.code, 'passkey_rejected');

    // Expired: the challenge's key is gone from Redis when the response arrives.
    const late = (await call('POST', '/passkeys/authentication/options', undefined, {})).body as any;
    await env.services.redis.del(`auth:webauthn:${late.challenge}`);
    assert.equal(
      (await call('POST', '/passkeys/authentication', undefined, { response: await authenticator.assert(late) })).body.error.code,
      'passkey_rejected',
    );
    // A challenge this server never handed out.
    assert.equal(
      (
        await call('POST', '/passkeys/authentication', undefined, {
          response: await authenticator.assert({ ...late, challenge: 'A'.repeat(43) }),
        })
      ).status,
      401,
    );

    const origin = await passkeySignIn(authenticator, { origin: 'https://evil.example' });
    assert.equal(origin.status, 401);
    assert.match(origin.body.error.message, /origin/i);
    const rpId = await passkeySignIn(authenticator, { rpId: 'evil.example' });
    assert.equal(rpId.status, 401);
    assert.match(rpId.body.error.message, /RP ID/i);
    const notVerified = await passkeySignIn(authenticator, { userVerified: false });
    assert.equal(notVerified.status, 401);

    const counterNow = authenticator.counter;
    // The server stored `accepted`; a cloned authenticator would present a count at or below it.
    const backwards = await passkeySignIn(authenticator, { counter: accepted - 1 });
    assert.equal(backwards.status, 401);
    assert.match(backwards.body.error.message, /counter/i);
    authenticator.counter = counterNow;
    assert.equal((await passkeySignIn(authenticator)).status, 200, 'the genuine authenticator still works');

    // An account blocked by support signs in with no passkey either (said only after a valid one).
    await env.services.users.setBlocked(session.user_id, new Date());
    authenticator.counter += 1;
    const blocked = await passkeySignIn(authenticator);
    assert.equal(blocked.body.error.code, 'account_blocked');
    await env.services.users.setBlocked(session.user_id, null);

    const stranger = new SoftAuthenticator(ORIGIN);
    await stranger.register({ challenge: 'A'.repeat(43), rp: { id: 'localhost' }, user: { id: 'x' } });
    const unknown = await passkeySignIn(stranger);
    assert.equal(unknown.status, 401);
    assert.equal(unknown.body.error.code, 'passkey_rejected');

    // Registration is checked the same way: another origin is refused, and so is its challenge's replay.
    const regOptions = (await call('POST', '/passkeys/registration/options', session.access_token, {})).body as any;
    const other = new SoftAuthenticator(ORIGIN);
    const bad = await call('POST', '/passkeys/registration', session.access_token, {
      response: await other.register(regOptions, { origin: 'https://evil.example' }),
    });
    assert.equal(bad.status, 401);
    const retried = await call('POST', '/passkeys/registration', session.access_token, {
      response: await other.register(regOptions),
    });
    assert.equal(retried.status, 401, 'the challenge was spent by the first attempt');
  });
});

describe('assurance and step-up', () => {
  test('aal2 is kept across many refreshes, with one EVALSHA each', async () => {
    const { session } = await newUser('refreshes');
    const { authenticator } = await withPasskey(session.access_token);
    let tokens = (await passkeySignIn(authenticator)).body;
    // A first refresh loads the script if this Redis has not seen it (NOSCRIPT, then EVAL).
    tokens = (await env.refresh(tokens.refresh_token)).body;
    for (let i = 0; i < 6; i++) {
      const before = env.commands.length;
      const res = await env.refresh(tokens.refresh_token);
      assert.equal(res.status, 200);
      const scripts = env.commands.slice(before).filter((c) => /^EVAL/i.test(String(c[0])));
      assert.equal(env.commands.length - before, 1, 'one command per refresh');
      assert.equal(scripts.length, 1);
      tokens = res.body;
      const claims = decodeJwt(tokens.access_token);
      assert.equal(claims.aal, 'aal2');
      assert.deepEqual(claims.amr, ['webauthn']);
    }
    // A password session stays aal1 through its refreshes.
    const refreshed = await env.refresh(session.refresh_token);
    assert.equal(decodeJwt(refreshed.body.access_token).aal, 'aal1');
  });

  test('each sensitive action answers 403 step_up_required without a fresh second factor, and works after one', async () => {
    const enrolled = await userWithTotp('step-up');
    const { email, session } = enrolled;
    let recoveryCodes = enrolled.recoveryCodes;
    const other = await call('POST', '/signin', undefined, { email, password: PASSWORD });
    const otherSession = (
      await call('POST', '/mfa/verify', undefined, { mfa_token: other.body.error.mfa_token, recovery_code: recoveryCodes[9] })
    ).body;
    const { passkey } = await withPasskey(session.access_token);
    const assurance = new AssuranceStore(env.services.redis);
    // The second factor was shown 11 minutes ago: too long for a sensitive action.
    const stale = async () =>
      assert.ok(
        await assurance.raise(session.session_id, { aal: 'aal2', amr: ['pwd', 'otp'], verifiedAt: Date.now() - 11 * 60_000 }),
      );
    let nextRecovery = 1;
    const stepUp = async () => {
      const res = await call('POST', '/mfa/step-up', session.access_token, { recovery_code: recoveryCodes[nextRecovery++] });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.aal, 'aal2');
    };
    const actions: Array<[string, () => Promise<{ status: number; body: Json }>, number]> = [
      [
        'change the email address',
        () => call('POST', '/email', session.access_token, { new_email: uniqueEmail('stepped-up'), password: PASSWORD }),
        202,
      ],
      [
        'change the password',
        () =>
          call('POST', '/password', session.access_token, {
            current_password: PASSWORD,
            new_password: 'another long passphrase',
          }),
        200,
      ],
      ['sign out other devices', () => call('DELETE', '/sessions?scope=others', session.access_token), 200],
      ['remove a passkey', () => call('DELETE', `/passkeys/${passkey.id}`, session.access_token), 204],
      ['new recovery codes', () => call('POST', '/mfa/recovery-codes', session.access_token), 200],
      ['disable TOTP', () => call('DELETE', '/mfa/totp', session.access_token), 204],
    ];
    for (const [what, action, ok] of actions) {
      await stale();
      const refused = await action();
      assert.equal(refused.status, 403, what);
      assert.equal(refused.body.error.code, 'step_up_required', what);
      await stepUp();
      const done = await action();
      assert.equal(done.status, ok, `${what} after step-up`);
      // New codes void the old ones: step up with the new ones from here on.
      if (done.body?.recovery_codes) ((recoveryCodes = done.body.recovery_codes), (nextRecovery = 0));
    }
    assert.equal(
      (await env.refresh(otherSession.refresh_token)).body.error.code,
      'token_revoked',
      'the other device was signed out',
    );
    // Deleting the account: step-up with a TOTP code this time.
    const { session: s2, secret } = await userWithTotp('delete');
    await assurance.raise(s2.session_id, { aal: 'aal1', amr: ['pwd'], verifiedAt: 0 });
    const del = () => call('DELETE', '/account', s2.access_token, { password: PASSWORD });
    assert.equal((await del()).body.error.code, 'step_up_required');
    assert.equal((await call('POST', '/mfa/step-up', s2.access_token, { code: nextCode(secret) })).status, 200);
    assert.equal((await del()).status, 204);
  });
});
