/**
 * Changing the account's email address over HTTP, on real Redis and PostgreSQL (mail read from the local outbox):
 * the link goes to the new address and a notice (the new address masked) to the current one; the same 202 for a
 * taken address, whose owner gets a notice instead of a link; the password, the step-up and a per-user limit
 * guard the request; the link works once, is voided by a newer one, dies with the session that asked, and
 * refuses an address taken meanwhile; provider identities of the old address cannot take the account over.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { totpCode } from '../../lib/mfa/totp';
import { NOOP_TELEMETRY, setTelemetry } from '../../lib/observability/telemetry';
import { emailChangeKey, familyKey, userEmailChangeKey } from '../../lib/redis/keys';
import { AssuranceStore } from '../../lib/tokens/assurance';
import { maskEmail } from '../../lib/users/email';
import { startTestEnvironment, uniqueEmail, type TestEnvironment } from '../../test/support/environment';
import { mailedToken, outbox as outboxOf } from '../../test/support/outbox';

let env: TestEnvironment;
before(async () => {
  // Wrong passwords are counted like sign-ins: five per account and IP, then 429.
  env = await startTestEnvironment({ RATE_LIMIT_SIGNIN_PER_ACCOUNT_IP: '5/60' });
});
after(() => env.close());

const PASSWORD = 'correct horse battery';
type Json = Record<string, any>;

/** Calls `/api/v1/auth<path>` (test/support/environment.ts). */
const call: TestEnvironment['call'] = (...args) => env.call(...args);

const signIn = (email: string, password = PASSWORD) => call('POST', '/signin', undefined, { email, password });
const changeEmail = (token: string, body: Json) => call('POST', '/email', token, body);
const confirm = (token: string) => call('POST', '/email/confirm', undefined, { token });
const outbox = (to: string) => outboxOf(env.services.redis, to);
/** The token of the newest email-change link mailed to `to`. */
const linkToken = (to: string) => mailedToken(env.services.redis, to, env.config.APP_URL, '/change-email');

/** A password user signed in on two devices. */
async function newUser(label = 'change') {
  const email = uniqueEmail(label);
  assert.equal((await call('POST', '/signup', undefined, { email, password: PASSWORD })).status, 201);
  const laptop = (await signIn(email)).body;
  const phone = (await signIn(email)).body;
  return { email, laptop, phone };
}

/** An account made by a provider's verified sign-in: no password. */
const oauthUser = (email: string, providerAccountId: string = crypto.randomUUID()) =>
  env.services.auth.signInWithOAuth(
    { provider: 'github', providerAccountId, email, emailVerified: true, account: { type: 'oauth' } },
    { ip: '127.0.0.1' },
  );

describe('email change', () => {
  test('the link goes to the new address, the old one is told (masked), and after confirming only the new address signs in', async () => {
    const { email, laptop, phone } = await newUser();
    const next = uniqueEmail('new');
    // A counting sink: the security-event counter must move through the existing recordSecurityEvent.
    const counted: string[] = [];
    setTelemetry({
      ...NOOP_TELEMETRY,
      enabled: true,
      count: (name, labels) => void (name === 'auth.security_events' && counted.push(labels.type!)),
    });
    try {
      const asked = await changeEmail(laptop.access_token, { new_email: `  ${next.toUpperCase()} `, password: PASSWORD });
      assert.equal(asked.status, 202);
      assert.match(asked.body.message, /Check the new address/);

      const [link] = await outbox(next);
      assert.match(link!.subject, /Confirm your new email address/);
      const [notice] = await outbox(email);
      assert.match(notice!.subject, /change of your email address was requested/);
      assert.ok(notice!.text.includes(maskEmail(next)), notice!.text);
      assert.ok(!notice!.text.includes(next) && !notice!.text.includes(next.split('@')[0]!), 'never the full new address');
      assert.doesNotMatch(notice!.text, /token=/, 'and no link that would confirm it');
      assert.equal((await signIn(email)).status, 200, 'the address stays until the link is used');

      const token = await linkToken(next);
      const done = await confirm(token);
      assert.equal(done.status, 200, JSON.stringify(done.body));
      assert.deepEqual(done.body, { email: next, email_verified: true });
      assert.equal(done.headers.get('cache-control'), 'no-store');
      assert.deepEqual(counted, ['email_changed']);
    } finally {
      setTelemetry(undefined);
    }

    assert.equal((await signIn(email)).status, 401);
    assert.equal((await signIn(next)).status, 200);
    const user = await env.services.users.findByEmail(next);
    assert.ok(user?.emailVerified, 'the link proved the new mailbox');
    // As a password change: the device that asked stays signed in, every other one is signed out.
    assert.equal((await env.refresh(laptop.refresh_token)).status, 200);
    assert.equal((await env.refresh(phone.refresh_token)).body.error.code, 'token_revoked');
    const events = (await call('GET', '/security-events', laptop.access_token)).body.events as Json[];
    assert.equal(events[0]?.type, 'email_changed');
    assert.equal(events[0]?.signed_out_sessions, 2, 'the phone and the sign-in above');

    const [changed] = await outbox(email);
    assert.match(changed!.subject, /email address was changed/);
    assert.ok(changed!.text.includes(maskEmail(next)) && !changed!.text.includes(next));
    assert.equal((await confirm(await linkToken(next))).body.error.code, 'invalid_email_change_token', 'the link works once');
  });

  test('a taken address gets the very same answer; its owner is told and no link is sent anywhere', async () => {
    const taken = uniqueEmail('taken');
    assert.equal((await call('POST', '/signup', undefined, { email: taken, password: PASSWORD })).status, 201);
    const asker = await newUser('asker');
    const free = uniqueEmail('tfree');
    const fresh = await newUser('fresher');
    const toTaken = await changeEmail(asker.laptop.access_token, { new_email: taken, password: PASSWORD });
    const toFree = await changeEmail(fresh.laptop.access_token, { new_email: free, password: PASSWORD });
    assert.deepEqual([toTaken.status, toTaken.body], [toFree.status, toFree.body]);
    assert.equal(toTaken.status, 202);

    const mails = await outbox(taken);
    assert.equal(mails.length, 1);
    assert.match(mails[0]!.subject, /Someone tried to use your email address/);
    assert.doesNotMatch(mails[0]!.text, /token=/);
    assert.equal((await outbox(free)).length, 1, 'the free address got its link');
    // The asker's own mailbox does not tell either: the same notice as for a free address ("t•••@example.test").
    const [askerNotice] = await outbox(asker.email);
    const [freshNotice] = await outbox(fresh.email);
    assert.equal(maskEmail(taken), maskEmail(free));
    assert.deepEqual([askerNotice!.subject, askerNotice!.text], [freshNotice!.subject, freshNotice!.text]);
    assert.equal(await env.services.redis.exists(userEmailChangeKey(asker.laptop.user.id)), 0, 'no link is pending');
  });

  test('a wrong password → 403 wrong_password, nothing mailed, and guesses are limited like sign-ins', async () => {
    const { email, laptop } = await newUser('wrong');
    const next = uniqueEmail('never');
    const refused = await changeEmail(laptop.access_token, { new_email: next, password: 'not my password' });
    assert.deepEqual([refused.status, refused.body.error.code], [403, 'wrong_password']);
    assert.equal((await changeEmail(laptop.access_token, { new_email: next })).body.error.code, 'wrong_password');
    assert.equal((await outbox(next)).length, 0);
    assert.equal((await outbox(email)).length, 0);
    const statuses = [];
    for (let i = 0; i < 4; i++)
      statuses.push((await changeEmail(laptop.access_token, { new_email: next, password: `guess ${i}` })).status);
    assert.deepEqual(statuses, [403, 403, 403, 429], 'five failures per account and IP (two above)');
  });

  test('with a second factor: 403 step_up_required until one is shown, then the change goes through', async () => {
    const { email, laptop } = await newUser('stepup');
    const started = await call('POST', '/mfa/totp', laptop.access_token, {});
    const secret = started.body.secret as string;
    const enrolled = await call('POST', '/mfa/totp/confirm', laptop.access_token, { code: totpCode(secret) });
    assert.equal(enrolled.status, 200);
    // The second factor was shown 11 minutes ago: too long for a sensitive action.
    await new AssuranceStore(env.services.redis).raise(laptop.session_id, {
      aal: 'aal2',
      amr: ['pwd', 'otp'],
      verifiedAt: Date.now() - 11 * 60_000,
    });
    const next = uniqueEmail('stepped');
    const refused = await changeEmail(laptop.access_token, { new_email: next, password: PASSWORD });
    assert.deepEqual([refused.status, refused.body.error.code], [403, 'step_up_required']);
    assert.equal((await outbox(next)).length, 0);
    const stepped = await call('POST', '/mfa/step-up', laptop.access_token, { recovery_code: enrolled.body.recovery_codes[0] });
    assert.equal(stepped.status, 200);
    assert.equal((await changeEmail(laptop.access_token, { new_email: next, password: PASSWORD })).status, 202);
    assert.equal((await confirm(await linkToken(next))).status, 200);
    assert.equal((await env.services.users.findById(laptop.user.id))?.email, next);
    assert.equal(await env.services.users.findByEmail(email), null);
  });

  test('a used, voided (newer request), expired or made-up link → 400 invalid_email_change_token', async () => {
    const { email, laptop } = await newUser('links');
    const first = uniqueEmail('first');
    const second = uniqueEmail('second');
    assert.equal((await changeEmail(laptop.access_token, { new_email: first, password: PASSWORD })).status, 202);
    const voided = await linkToken(first);
    assert.equal((await changeEmail(laptop.access_token, { new_email: second, password: PASSWORD })).status, 202);
    const refused = await confirm(voided);
    assert.deepEqual([refused.status, refused.body.error.code], [400, 'invalid_email_change_token']);
    assert.equal((await env.services.users.findById(laptop.user.id))?.email, email, 'unchanged');

    const live = await linkToken(second);
    const key = emailChangeKey(createHash('sha256').update(live).digest('base64url'));
    const ttl = await env.services.redis.ttl(key);
    assert.ok(ttl > 0 && ttl <= env.config.EMAIL_VERIFICATION_TTL_SECONDS, `TTL ${ttl} s from EMAIL_VERIFICATION_TTL_SECONDS`);
    assert.equal(await env.services.emailChanges!.isLive(live), true);
    // Let Redis expire it now rather than wait a day.
    await env.services.redis.pexpire(key, 1);
    while ((await env.services.redis.exists(key)) === 1) await new Promise((resolve) => setImmediate(resolve));
    assert.equal(await env.services.emailChanges!.isLive(live), false);
    assert.equal((await confirm(live)).body.error.code, 'invalid_email_change_token');

    for (const garbage of ['x'.repeat(43), 'short', live.slice(0, -1) + (live.endsWith('A') ? 'B' : 'A')]) {
      const res = await confirm(garbage);
      assert.deepEqual([res.status, res.body.error.code], [400, 'invalid_email_change_token'], garbage);
    }
    assert.equal((await env.services.users.findById(laptop.user.id))?.email, email);
  });

  test('an address taken meanwhile → 409 email_taken, nothing changes, and the link stays dead', async () => {
    const { email, laptop, phone } = await newUser('race');
    const next = uniqueEmail('raced');
    await changeEmail(laptop.access_token, { new_email: next, password: PASSWORD });
    const token = await linkToken(next);
    assert.equal((await call('POST', '/signup', undefined, { email: next, password: 'someone else entirely' })).status, 201);
    const taken = await confirm(token);
    assert.deepEqual([taken.status, taken.body.error.code], [409, 'email_taken']);
    assert.equal((await env.services.users.findById(laptop.user.id))?.email, email);
    assert.equal((await env.refresh(phone.refresh_token)).status, 200, 'nobody was signed out');
    assert.equal((await confirm(token)).body.error.code, 'invalid_email_change_token');
  });

  test('signing out the device that asked cancels the change: the link no longer works', async () => {
    const { email, laptop, phone } = await newUser('cancel');
    const next = uniqueEmail('cancelled');
    await changeEmail(laptop.access_token, { new_email: next, password: PASSWORD });
    // The owner, told by the notice, signs out everywhere else (a password reset does the same).
    assert.equal((await call('DELETE', '/sessions?scope=others', phone.access_token)).status, 200);
    const refused = await confirm(await linkToken(next));
    assert.deepEqual([refused.status, refused.body.error.code], [400, 'invalid_email_change_token']);
    assert.match(refused.body.error.message, /signed out/);
    assert.equal((await env.services.users.findById(phone.user.id))?.email, email);
  });

  test('a reset link mailed to the old address stops working once the address changed', async () => {
    const { email, laptop } = await newUser('reset');
    assert.equal((await call('POST', '/password-reset', undefined, { email })).status, 202);
    const reset = await mailedToken(env.services.redis, email, env.config.APP_URL, '/reset-password');
    const next = uniqueEmail('moved');
    await changeEmail(laptop.access_token, { new_email: next, password: PASSWORD });
    assert.equal((await confirm(await linkToken(next))).status, 200);
    const res = await call('POST', '/password-reset/confirm', undefined, {
      token: reset,
      new_password: 'a brand new passphrase',
    });
    assert.deepEqual([res.status, res.body.error.code], [400, 'invalid_reset_token']);
  });

  test('limited per user: past RATE_LIMIT_EMAIL_CHANGE_PER_ACCOUNT (5/h), 429 and nothing mailed', async () => {
    const { email, laptop } = await newUser('limit');
    const statuses = [];
    for (let i = 0; i < 6; i++)
      statuses.push((await changeEmail(laptop.access_token, { new_email: uniqueEmail(`lim${i}`), password: PASSWORD })).status);
    assert.deepEqual(statuses, [202, 202, 202, 202, 202, 429]);
    const limited = await changeEmail(laptop.access_token, { new_email: uniqueEmail('over'), password: PASSWORD });
    assert.equal(limited.body.error.code, 'rate_limited');
    assert.ok(Number(limited.headers.get('retry-after')) > 0);
    assert.equal((await outbox(email)).length, 5, 'one notice per accepted request');
  });

  test('bad input gets a clear 4xx with the usual error shape', async () => {
    const { email, laptop } = await newUser('input');
    const cases: Array<[unknown, number, string]> = [
      [{ new_email: 'not an email', password: PASSWORD }, 400, 'invalid_email'],
      [{ new_email: 'someone@example', password: PASSWORD }, 400, 'invalid_email'],
      [{ new_email: 'stand-in@users.oauth.invalid', password: PASSWORD }, 400, 'invalid_email'],
      [{ new_email: `${'a'.repeat(250)}@example.test`, password: PASSWORD }, 400, 'invalid_email'],
      [{ new_email: ` ${email.toUpperCase()}`, password: PASSWORD }, 400, 'email_unchanged'],
      [{ password: PASSWORD }, 400, 'invalid_request'],
      [{ new_email: 42, password: PASSWORD }, 400, 'invalid_request'],
      [{ new_email: uniqueEmail(), password: PASSWORD, admin: true }, 400, 'invalid_request'],
      ['{"new_email":', 400, 'invalid_request'],
    ];
    for (const [body, status, code] of cases) {
      const res = await changeEmail(laptop.access_token, body as Json);
      assert.deepEqual([res.status, res.body.error?.code], [status, code], JSON.stringify(body));
      assert.equal(typeof res.body.error.message, 'string');
    }
    const anonymous = await call('POST', '/email', undefined, { new_email: uniqueEmail(), password: PASSWORD });
    assert.deepEqual([anonymous.status, anonymous.body.error.code], [401, 'invalid_token']);
    assert.equal((await call('POST', '/email/confirm', undefined, {})).status, 400);
    assert.equal((await call('POST', '/email/confirm', undefined, { token: 'x', extra: 1 })).status, 400);
    assert.equal((await outbox(email)).length, 0, 'no request was accepted');
  });
});

describe('accounts without a password, and linked providers', () => {
  test('no password: a recent sign-in is needed, as for deleting the account', async () => {
    const stale = await oauthUser(uniqueEmail('stale'));
    await env.services.redis.hset(familyKey(stale.sessionId), { created: Date.now() - 11 * 60_000 });
    const refused = await changeEmail(stale.accessToken, { new_email: uniqueEmail('nope') });
    assert.deepEqual([refused.status, refused.body.error.code], [403, 'reauthentication_required']);
  });

  test("the old address's provider identities cannot take the account over", async () => {
    const old = uniqueEmail('linked');
    const githubId = crypto.randomUUID();
    const session = await oauthUser(old, githubId);
    const next = uniqueEmail('relinked');
    assert.equal((await changeEmail(session.accessToken, { new_email: next })).status, 202);
    assert.equal((await confirm(await linkToken(next))).status, 200);

    // Another provider account that vouches for the old address finds no account by it: it gets one of its own.
    const stranger = await oauthUser(old);
    assert.notEqual(stranger.userId, session.userId);
    assert.equal((await env.services.users.findById(session.userId))?.email, next);
    // The provider account the owner linked is found by its id, as before, and does not bring the old address back.
    const owner = await oauthUser(old, githubId);
    assert.equal(owner.userId, session.userId);
    assert.equal((await env.services.users.findById(session.userId))?.email, next);
  });

  test('with mail off (MAIL_TRANSPORT=none) the address cannot be changed: 503', async () => {
    const off = await startTestEnvironment({ MAIL_TRANSPORT: 'none' });
    try {
      const email = uniqueEmail('nomail');
      await off.post('/api/v1/auth/signup', { email, password: PASSWORD });
      const session = (await (await off.post('/api/v1/auth/signin', { email, password: PASSWORD })).json()) as Json;
      const res = await off.post(
        '/api/v1/auth/email',
        { new_email: uniqueEmail(), password: PASSWORD },
        { authorization: `Bearer ${session.access_token}` },
      );
      assert.equal(res.status, 503);
      assert.equal(((await res.json()) as Json).error.code, 'service_unavailable');
      assert.equal((await off.post('/api/v1/auth/email/confirm', { token: 'x'.repeat(43) })).status, 503);
    } finally {
      await off.close();
    }
  });
});
