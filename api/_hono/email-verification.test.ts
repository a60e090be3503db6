/**
 * Email verification of password sign-ups over HTTP, on real Redis and PostgreSQL (EMAIL_VERIFICATION=required,
 * links read from the local outbox): sign-up answers the same for new and used addresses, the link works
 * once, expires, is voided by a newer one, resends are limited, and no answer tells which addresses exist.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { emailVerificationKey } from '../../lib/redis/keys';
import { startTestEnvironment, uniqueEmail, type TestEnvironment } from '../../test/support/environment';
import { mailedToken, outbox } from '../../test/support/outbox';

let env: TestEnvironment;
before(async () => {
  env = await startTestEnvironment({ EMAIL_VERIFICATION: 'required' });
});
after(() => env.close());

const PASSWORD = 'correct horse battery';

const post = async (path: string, body: unknown, target = env) => {
  const res = await target.post(path, body);
  return { status: res.status, body: (await res.json()) as Record<string, any> };
};
const signUp = (email: string, password = PASSWORD, target = env) => post('/api/v1/auth/signup', { email, password }, target);
const signIn = (email: string, password = PASSWORD, target = env) => post('/api/v1/auth/signin', { email, password }, target);
const resend = (email: string) => post('/api/v1/auth/email-verification', { email });
const confirm = (token: string) => post('/api/v1/auth/email-verification/confirm', { token });
const linkToken = (to: string, target = env) => mailedToken(target.services.redis, to, target.config.APP_URL, '/verify-email');

describe('sign-up with email verification on', () => {
  test('a new and a used address get the very same answer; the new one gets a link, the owner of the used one a notice', async () => {
    const owner = uniqueEmail('owner');
    const fresh = uniqueEmail('fresh');
    const first = await signUp(owner);
    assert.equal(first.status, 202);
    const again = await signUp(owner, 'the squatter passphrase');
    const other = await signUp(fresh);
    assert.deepEqual([again.status, again.body], [first.status, first.body], 'no 409 email_taken');
    assert.deepEqual([other.status, other.body], [first.status, first.body]);
    assert.equal(first.body.user, undefined, 'no user id that would differ');

    const [notice, link] = await outbox(env.services.redis, owner);
    assert.match(notice!.subject, /tried to create an account/);
    assert.doesNotMatch(notice!.text, /token=/, 'the notice carries no link that would verify anyone');
    assert.match(link!.subject, /Confirm your email/);
    assert.match((await outbox(env.services.redis, fresh))[0]!.subject, /Confirm your email/);
    // The second sign-up changed nothing: the first password is the account's.
    await confirm(await linkToken(fresh));
    assert.equal((await signIn(owner, 'the squatter passphrase')).status, 401);
  });

  test('"required": the right password of an unverified account is refused until the link is used, which works once', async () => {
    const email = uniqueEmail('verify');
    await signUp(email);
    const refused = await signIn(email);
    assert.equal(refused.status, 403);
    assert.equal(refused.body.error.code, 'email_not_verified');
    assert.equal(refused.body.refresh_token, undefined);
    assert.equal(
      (await signIn(email, 'not the password')).body.error.code,
      'invalid_credentials',
      'a wrong password learns nothing more',
    );

    const token = await linkToken(email);
    const done = await confirm(token);
    assert.equal(done.status, 200);
    assert.deepEqual(done.body, { email, email_verified: true });
    assert.ok((await env.services.users.findByEmail(email))?.emailVerified);
    assert.equal((await signIn(email)).status, 200);

    const twice = await confirm(token);
    assert.equal(twice.status, 400);
    assert.equal(twice.body.error.code, 'invalid_verification_token');
    // The page tells this second click apart from a bad link: the address it confirmed is confirmed.
    assert.equal(await env.services.emailVerifications!.alreadyConfirmedWith(token), true);
    assert.equal(await env.services.emailVerifications!.alreadyConfirmedWith('z'.repeat(43)), false);
  });

  test('a link expires with its TTL', async () => {
    const email = uniqueEmail('expire');
    await signUp(email);
    const token = await linkToken(email);
    const key = emailVerificationKey(createHash('sha256').update(token).digest('base64url'));
    const ttl = await env.services.redis.ttl(key);
    assert.ok(
      ttl > 0 && ttl <= env.config.EMAIL_VERIFICATION_TTL_SECONDS,
      `TTL ${ttl} s set from EMAIL_VERIFICATION_TTL_SECONDS`,
    );
    // Let Redis expire it now rather than wait a day.
    await env.services.redis.pexpire(key, 1);
    while ((await env.services.redis.exists(key)) === 1) await new Promise((resolve) => setImmediate(resolve));
    assert.equal((await confirm(token)).body.error.code, 'invalid_verification_token');
    assert.equal((await env.services.users.findByEmail(email))?.emailVerified, null);
  });

  test('a newer link voids the older one', async () => {
    const email = uniqueEmail('newer');
    await signUp(email);
    const first = await linkToken(email);
    assert.equal((await resend(email)).status, 202);
    const second = await linkToken(email);
    assert.notEqual(first, second);
    assert.equal((await confirm(first)).body.error.code, 'invalid_verification_token');
    assert.equal((await confirm(second)).status, 200);
  });

  test('resend answers the same for unknown, verified and waiting addresses, mails only the waiting one, and is limited', async () => {
    const waiting = uniqueEmail('waiting');
    const verified = uniqueEmail('verified');
    const ghost = uniqueEmail('ghost');
    await signUp(waiting);
    await signUp(verified);
    await confirm(await linkToken(verified));
    const answers = [await resend(waiting), await resend(verified), await resend(ghost)];
    for (const a of answers) assert.deepEqual([a.status, a.body], [answers[0]!.status, answers[0]!.body]);
    assert.equal(answers[0]!.status, 202);
    assert.equal((await outbox(env.services.redis, waiting)).length, 2, 'sign-up link and the resent one');
    assert.equal((await outbox(env.services.redis, verified)).length, 1, 'no new link for a verified address');
    assert.equal((await outbox(env.services.redis, ghost)).length, 0);

    // RATE_LIMIT_EMAIL_VERIFICATION_PER_ACCOUNT defaults to 3/3600: the sign-up mail and two resends, then 429.
    const statuses = [(await resend(waiting)).status, (await resend(waiting)).status];
    assert.deepEqual(statuses, [202, 429]);
    const ghostStatuses = [];
    for (let i = 0; i < 4; i++) ghostStatuses.push((await resend(ghost)).status);
    assert.deepEqual(ghostStatuses, [202, 202, 429, 429], 'unknown addresses are limited alike (one was used above)');
  });

  test('sign-ups cannot flood an owner with notices: past the limit, no mail and the same answer', async () => {
    const owner = uniqueEmail('flooded');
    await signUp(owner);
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push(await signUp(owner, `attempt number ${i}`));
    for (const a of answers) assert.equal(a.status, 202);
    assert.equal((await outbox(env.services.redis, owner)).length, 3, 'the link and two notices, then the per-address limit');
  });

  test('a password reset proves the mailbox too: the account becomes verified', async () => {
    const email = uniqueEmail('reset');
    await signUp(email);
    assert.equal((await post('/api/v1/auth/password-reset', { email })).status, 202);
    const token = await mailedToken(env.services.redis, email, env.config.APP_URL, '/reset-password');
    assert.equal(
      (await post('/api/v1/auth/password-reset/confirm', { token, new_password: 'a brand new passphrase' })).status,
      200,
    );
    assert.equal((await signIn(email, 'a brand new passphrase')).status, 200);
  });

  test('bad input gets a clear 4xx', async () => {
    assert.equal((await resend('not an email')).status, 400);
    assert.equal((await confirm('short')).body.error.code, 'invalid_verification_token');
    assert.equal((await confirm('x'.repeat(43))).body.error.code, 'invalid_verification_token');
    assert.equal((await post('/api/v1/auth/email-verification/confirm', { token: 'x', extra: 1 })).status, 400);
  });
});

describe('other modes', () => {
  test('"optional": sign-up still answers 202 the same for any address, and an unverified account signs in', async () => {
    const optional = await startTestEnvironment({ EMAIL_VERIFICATION: 'optional' });
    try {
      const email = uniqueEmail('optional');
      const first = await signUp(email, PASSWORD, optional);
      const again = await signUp(email, PASSWORD, optional);
      assert.deepEqual([again.status, again.body], [first.status, first.body]);
      assert.equal(first.status, 202);
      assert.equal((await signIn(email, PASSWORD, optional)).status, 200);
      assert.ok(await linkToken(email, optional));
    } finally {
      await optional.close();
    }
  });

  test('"off": sign-up answers 201 with the user and 409 email_taken, and the verification routes are unavailable', async () => {
    const off = await startTestEnvironment({ EMAIL_VERIFICATION: 'off' });
    try {
      const email = uniqueEmail('off');
      assert.equal((await signUp(email, PASSWORD, off)).status, 201);
      const taken = await signUp(email, PASSWORD, off);
      assert.deepEqual([taken.status, taken.body.error.code], [409, 'email_taken']);
      assert.equal((await outbox(off.services.redis, email)).length, 0);
      const res = await off.post('/api/v1/auth/email-verification', { email });
      assert.equal(res.status, 503);
    } finally {
      await off.close();
    }
  });
});
