/** HTTP integration tests of POST /api/v1/auth/oauth (caller proof, linking rules, the session it starts) against real Redis and PostgreSQL. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CALLER_PROOF_HEADER, signCallerProof } from '../../lib/auth/caller-proof';
import { newSecret } from '../../lib/config/secrets';
import { base64urlAlias } from '../../test/support/base64url';
import { exchangeOAuthSignIn, type OAuthExchangeBody } from '../../nextauth/oauth-exchange';
import { startTestEnvironment, uniqueEmail, type TestEnvironment } from '../../test/support/environment';
import { mailedToken, outbox } from '../../test/support/outbox';

let env: TestEnvironment;
/** Verification links on, unverified accounts may sign in: the pre-hijacking scenario of issue 13. */
let withLinks: TestEnvironment;
before(async () => {
  env = await startTestEnvironment({ REFRESH_GRACE_SECONDS: '1' });
  withLinks = await startTestEnvironment({ EMAIL_VERIFICATION: 'optional', RATE_LIMIT_PASSWORD_RESET_PER_ACCOUNT: '100000/60' });
});
after(async () => {
  await env.close();
  await withLinks.close();
});

const PASSWORD = 'correct horse battery';

const oauthBody = (
  over: { provider?: string; id?: string; email?: string; emailVerified?: boolean } = {},
): OAuthExchangeBody => ({
  provider: over.provider ?? 'oidc',
  providerAccountId: over.id ?? crypto.randomUUID(),
  profile: { email: over.email ?? uniqueEmail('oauth'), emailVerified: over.emailVerified ?? true, name: 'Octo Cat' },
  tokens: {
    type: 'oidc',
    accessToken: 'provider-access',
    refreshToken: 'provider-refresh',
    idToken: 'eyJ.x.y',
    expiresAt: 2_000_000_000,
  },
});

/** POSTs a body signed by this deployment (or by `secret`, at `nowMs`). */
async function signedPost(
  body: OAuthExchangeBody | string,
  {
    target = env,
    secret = target.config.OAUTH_CALLER_SECRET,
    nowMs = Date.now(),
  }: { target?: TestEnvironment; secret?: string | readonly string[]; nowMs?: number } = {},
) {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return target.post('/api/v1/auth/oauth', text, { [CALLER_PROOF_HEADER]: await signCallerProof(secret, text, nowMs) });
}

/** Asserts a 401 unauthorized_client that carries no tokens, and that nobody was created for the email. */
async function assertRefused(res: Response, email: string) {
  assert.equal(res.status, 401);
  const json = (await res.json()) as any;
  assert.equal(json.error.code, 'unauthorized_client');
  assert.equal(json.access_token, undefined);
  assert.equal(json.refresh_token, undefined);
  assert.equal(await env.services.users.findByEmail(email), null, 'no user was created');
}

const refresh = (token: string) => env.refresh(token);

describe('only this deployment may call /oauth', () => {
  test('an unsigned call naming any account and email is refused and issues nothing', async () => {
    const body = oauthBody();
    await assertRefused(await env.post('/api/v1/auth/oauth', body), body.profile.email);
  });

  test('a call signed with another secret is refused', async () => {
    const body = oauthBody();
    await assertRefused(await signedPost(body, { secret: 'not-the-deployment-secret-but-long-enough-000' }), body.profile.email);
  });

  test('a garbled signature header is refused', async () => {
    const body = oauthBody();
    const text = JSON.stringify(body);
    for (const header of ['t=abc,v1=xyz', `t=${Math.floor(Date.now() / 1000)}`, 'v1=' + 'A'.repeat(43), '']) {
      await assertRefused(await env.post('/api/v1/auth/oauth', text, { [CALLER_PROOF_HEADER]: header }), body.profile.email);
    }
  });

  test('a correctly signed call from five minutes ago is refused as stale', async () => {
    const body = oauthBody();
    await assertRefused(await signedPost(body, { nowMs: Date.now() - 5 * 60_000 }), body.profile.email);
  });

  test('a captured call replayed a second time is refused, and the first still counted', async () => {
    const body = oauthBody();
    const text = JSON.stringify(body);
    const headers = { [CALLER_PROOF_HEADER]: await signCallerProof(env.config.OAUTH_CALLER_SECRET, text) };
    const first = await env.post('/api/v1/auth/oauth', text, headers);
    assert.equal(first.status, 200);
    // A token response (RFC 6749 §5.1), to NextAuth's server: never cached, and no browser cookie.
    assert.equal(first.headers.get('cache-control'), 'no-store');
    assert.equal(first.headers.get('set-cookie'), null);
    const replay = await env.post('/api/v1/auth/oauth', text, headers);
    assert.equal(replay.status, 401);
    const json = (await replay.json()) as any;
    assert.equal(json.error.code, 'unauthorized_client');
    assert.equal(json.refresh_token, undefined);
  });

  test('a captured proof respelled (same MAC bytes, other text) is refused, not a fresh nonce', async () => {
    const body = oauthBody();
    const text = JSON.stringify(body);
    const proof = await signCallerProof(env.config.OAUTH_CALLER_SECRET, text);
    assert.equal((await env.post('/api/v1/auth/oauth', text, { [CALLER_PROOF_HEADER]: proof })).status, 200);
    const [stamp, mac] = proof.split(',v1=') as [string, string];
    const respelled = await env.post('/api/v1/auth/oauth', text, { [CALLER_PROOF_HEADER]: `${stamp},v1=${base64urlAlias(mac)}` });
    assert.equal(respelled.status, 401);
    assert.equal(((await respelled.json()) as any).error.code, 'unauthorized_client');
  });

  test('a signed call whose body was changed afterwards (another email) is refused', async () => {
    const genuine = oauthBody();
    const header = await signCallerProof(env.config.OAUTH_CALLER_SECRET, JSON.stringify(genuine));
    const victim = uniqueEmail('victim');
    const tampered = JSON.stringify({ ...genuine, profile: { ...genuine.profile, email: victim } });
    await assertRefused(await env.post('/api/v1/auth/oauth', tampered, { [CALLER_PROOF_HEADER]: header }), victim);
    assert.equal(await env.services.users.findByEmail(genuine.profile.email), null);
  });
});

describe('linking an OAuth sign-in to an existing user', () => {
  /** A password account (EMAIL_VERIFICATION=optional: it signs in before verifying), verified through its mailed link or not. */
  async function passwordUser({ verified }: { verified: boolean }) {
    const email = uniqueEmail(verified ? 'owner' : 'squatted');
    assert.equal((await withLinks.post('/api/v1/auth/signup', { email, password: PASSWORD })).status, 202);
    if (verified) {
      const token = await mailedToken(withLinks.services.redis, email, withLinks.config.APP_URL, '/verify-email');
      assert.equal((await withLinks.post('/api/v1/auth/email-verification/confirm', { token })).status, 200);
    }
    const signIn = await withLinks.post('/api/v1/auth/signin', { email, password: PASSWORD }, { 'user-agent': 'Owner Browser' });
    assert.equal(signIn.status, 200);
    const session = (await signIn.json()) as any;
    return { email, id: session.user_id as string, session };
  }
  const post = (body: OAuthExchangeBody) => signedPost(body, { target: withLinks });
  const passwordSignIn = (email: string) => withLinks.post('/api/v1/auth/signin', { email, password: PASSWORD });

  test('the pre-hijacking attack fails: a verified provider email claims an unverified account, whose password and sessions die', async () => {
    // The squatter registers the victim's address with a password, never verifies it, and stays signed in on two devices.
    const squatter = await passwordUser({ verified: false });
    const second = (await (await passwordSignIn(squatter.email)).json()) as any;
    // The squatter also linked an X account that shares the address, unverified (a new user could be made that way too).
    const x = oauthBody({ provider: 'twitter', email: squatter.email, emailVerified: false });
    assert.equal((await post(x)).status, 409, 'an unverified provider email never links');

    const victim = await post(oauthBody({ email: squatter.email, emailVerified: true }));
    assert.equal(victim.status, 200);
    const victimSession = (await victim.json()) as any;
    assert.equal(victimSession.user.id, squatter.id, "the one account of this address, now the verified owner's");
    assert.equal(victimSession.user.name, 'Octo Cat', 'named by the provider, not by the squatter');

    const squatterSignIn = await passwordSignIn(squatter.email);
    assert.equal(squatterSignIn.status, 401, "the squatter's password is gone");
    for (const s of [squatter.session, second]) {
      assert.equal(
        (await withLinks.refresh(s.refresh_token)).body.error.code,
        'token_revoked',
        "the squatter's sessions are dead",
      );
      const sessions = await fetch(`${withLinks.baseUrl}/api/v1/auth/sessions`, {
        headers: { authorization: `Bearer ${s.access_token}` },
      });
      assert.equal(sessions.status, 401, "the squatter's access tokens are refused at once");
    }
    const user = await withLinks.services.users.findByEmail(squatter.email);
    assert.equal(user?.passwordHash, null);
    assert.ok(user?.emailVerified);

    const events = await withLinks.services.rotation.securityEvents(squatter.id);
    assert.equal(events[0]?.type, 'unverified_account_claimed');
    assert.deepEqual(events[0] && 'provider' in events[0] ? [events[0].provider, events[0].signedOutSessions] : null, [
      'oidc',
      2,
    ]);
    assert.equal((await withLinks.refresh(victimSession.refresh_token)).status, 200, 'the victim is in');

    // The owner may set a password through password reset (the mailbox proves them).
    assert.equal((await withLinks.post('/api/v1/auth/password-reset', { email: squatter.email })).status, 202);
    const token = await mailedToken(withLinks.services.redis, squatter.email, withLinks.config.APP_URL, '/reset-password');
    const reset = await withLinks.post('/api/v1/auth/password-reset/confirm', { token, new_password: 'the owner passphrase' });
    assert.equal(reset.status, 200);
    assert.equal(
      (await withLinks.post('/api/v1/auth/signin', { email: squatter.email, password: 'the owner passphrase' })).status,
      200,
    );
  });

  test('an unverified provider email never occupies the address: the account gets a stand-in, the verified owner their own', async () => {
    const email = uniqueEmail('x-squat');
    const x = oauthBody({ provider: 'twitter', email, emailVerified: false });
    const squatter = (await (await post(x)).json()) as any;
    assert.match(squatter.user.email, /^twitter-.+@users\.oauth\.invalid$/, 'a stand-in, not the address');
    const held = await withLinks.services.users.findById(squatter.user.id);
    assert.equal(held?.unverifiedEmail, email, 'the address is kept as unverified contact data');
    assert.equal(await withLinks.services.users.findByEmail(email), null, 'nobody holds the address');

    const victim = (await (await post(oauthBody({ email, emailVerified: true }))).json()) as any;
    assert.notEqual(victim.user.id, squatter.user.id, 'the verified owner gets an account of their own');
    assert.equal(victim.user.email, email);
    assert.equal((await withLinks.refresh(squatter.refresh_token)).status, 200, "the squatter's stand-in account is untouched");
    const xAgain = oauthBody({ provider: 'twitter', id: x.providerAccountId, email, emailVerified: false });
    // Another name: the very same signed bytes would be refused as a replay.
    const again = (await (await post({ ...xAgain, profile: { ...xAgain.profile, name: 'X again' } })).json()) as any;
    assert.equal(again.user.id, squatter.user.id, 'the X identity keeps signing in to its stand-in account');
  });

  test('the real owner of an address an unverified provider reported signs up, verifies and signs in with a password', async () => {
    const email = uniqueEmail('owner-after-squat');
    const squat = await post(oauthBody({ email, emailVerified: false }));
    assert.equal(squat.status, 200);
    const squatter = (await squat.json()) as any;

    assert.equal((await withLinks.post('/api/v1/auth/signup', { email, password: PASSWORD })).status, 202);
    const subjects = (await outbox(withLinks.services.redis, email)).map((mail) => mail.subject);
    assert.deepEqual(subjects, ['Confirm your email address'], 'a new account: its link, not a notice');
    const token = await mailedToken(withLinks.services.redis, email, withLinks.config.APP_URL, '/verify-email');
    assert.equal((await withLinks.post('/api/v1/auth/email-verification/confirm', { token })).status, 200);
    const signIn = await passwordSignIn(email);
    assert.equal(signIn.status, 200);
    const owner = (await signIn.json()) as any;
    assert.notEqual(owner.user_id, squatter.user.id);
    assert.equal(owner.user.email, email);

    // The unverified identity still cannot link into the owner's account.
    const retry = await post(oauthBody({ email, emailVerified: false }));
    assert.equal(retry.status, 409);
  });

  test("a mailed reset link claims an address an older unverified provider sign-in holds: the squatter's sessions and identity go", async () => {
    // Accounts made before stand-ins held the address itself: no password, email unverified, one provider account.
    const email = uniqueEmail('legacy-squat');
    const legacy = await withLinks.services.users.create({ email, name: 'Squatter', image: 'https://example.test/x.png' });
    const identity = oauthBody({ provider: 'github', email, emailVerified: false });
    await withLinks.services.users.upsertAccount(legacy.id, {
      provider: 'github',
      providerAccountId: identity.providerAccountId,
      type: 'oauth',
    });
    const squatter = (await (await post(identity)).json()) as any;
    assert.equal(squatter.user.id, legacy.id, 'the squatter is signed in to the account holding the address');

    // The owner's sign-up is told to use password reset (the address has an account), which now mails a link.
    assert.equal((await withLinks.post('/api/v1/auth/signup', { email, password: PASSWORD })).status, 202);
    assert.equal((await withLinks.post('/api/v1/auth/password-reset', { email })).status, 202);
    const mails = await outbox(withLinks.services.redis, email);
    assert.deepEqual(
      mails.map((mail) => mail.subject),
      ['Set a password', 'Someone tried to create an account with your email'],
    );
    const token = await mailedToken(withLinks.services.redis, email, withLinks.config.APP_URL, '/reset-password');
    const reset = await withLinks.post('/api/v1/auth/password-reset/confirm', { token, new_password: 'the owner passphrase' });
    assert.equal(reset.status, 200);
    assert.equal(((await reset.json()) as any).signed_out_sessions, 1);

    assert.equal(
      (await withLinks.refresh(squatter.refresh_token)).body.error.code,
      'token_revoked',
      "the squatter's session is dead",
    );
    assert.equal(
      await withLinks.services.users.findByAccount('github', identity.providerAccountId),
      null,
      'the identity that never proved the address is unlinked',
    );
    const claimed = await withLinks.services.users.findByEmail(email);
    assert.ok(claimed?.emailVerified);
    assert.deepEqual(
      [claimed.name, claimed.image, claimed.unverifiedEmail],
      [null, null, null],
      "nothing of the squatter's is left",
    );
    const events = await withLinks.services.rotation.securityEvents(legacy.id);
    assert.deepEqual(
      events.map((e) => [e.type, 'provider' in e ? e.provider : null, 'signedOutSessions' in e ? e.signedOutSessions : null]),
      [
        ['password_reset', null, 0],
        ['unverified_account_claimed', 'email', 1],
      ],
    );

    const owner = await withLinks.post('/api/v1/auth/signin', { email, password: 'the owner passphrase' });
    assert.equal(owner.status, 200, 'the owner signs in with the password');
    assert.equal(
      (await post({ ...identity, profile: { ...identity.profile, name: 'Squatter again' } })).status,
      409,
      'and the squatter cannot link back in',
    );
  });

  test('an unverified provider email never links, not even to a verified account, which is left as it was', async () => {
    for (const verified of [false, true]) {
      const owner = await passwordUser({ verified });
      const before = await withLinks.services.users.findByEmail(owner.email);
      const body = oauthBody({ provider: 'twitter', email: owner.email.toUpperCase(), emailVerified: false });
      const res = await post(body);
      assert.equal(res.status, 409);
      const json = (await res.json()) as any;
      assert.equal(json.error.code, 'account_not_linkable');
      assert.match(json.error.message, /already exists/);
      assert.equal(json.refresh_token, undefined);
      assert.deepEqual(await withLinks.services.users.findByEmail(owner.email), before, 'user unchanged');
      assert.equal(await withLinks.services.users.findByAccount('twitter', body.providerAccountId), null, 'no account linked');
      assert.equal((await passwordSignIn(owner.email)).status, 200, 'password still works');
      assert.equal((await withLinks.refresh(owner.session.refresh_token)).status, 200, 'session still works');
    }
  });

  test('a verified email links to a verified password account, and the same provider account signs in to it again', async () => {
    const owner = await passwordUser({ verified: true });
    const providerAccountId = crypto.randomUUID();
    const first = await post(oauthBody({ id: providerAccountId, email: owner.email, emailVerified: true }));
    assert.equal(first.status, 200);
    const firstJson = (await first.json()) as any;
    assert.equal(firstJson.user.id, owner.id);
    assert.equal((await withLinks.refresh(owner.session.refresh_token)).status, 200, 'the password session lives on');
    assert.equal((await withLinks.services.rotation.securityEvents(owner.id)).length, 0);

    // The account is found by (provider, providerAccountId), whatever email the provider reports now.
    const again = await post(oauthBody({ id: providerAccountId, email: uniqueEmail('renamed'), emailVerified: false }));
    assert.equal(again.status, 200);
    const againJson = (await again.json()) as any;
    assert.equal(againJson.user.id, owner.id);
    assert.notEqual(againJson.session_id, firstJson.session_id, 'each sign-in is its own session');
    assert.equal((await passwordSignIn(owner.email)).status, 200, 'password still works');
  });

  test('a new email creates an OAuth-only user that has no password', async () => {
    for (const emailVerified of [true, false]) {
      const body = oauthBody({ emailVerified });
      const res = await signedPost(body);
      assert.equal(res.status, 200);
      const user = await env.services.users.findByAccount(body.provider, body.providerAccountId);
      assert.ok(user);
      assert.equal(user.passwordHash, null);
      assert.equal(Boolean(user.emailVerified), emailVerified);
      // Unvouched, the address is contact data only; the account's email is a stand-in nobody can mail.
      assert.deepEqual(
        [user.email === body.profile.email, user.unverifiedEmail],
        emailVerified ? [true, null] : [false, body.profile.email],
      );
      const signin = await env.post('/api/v1/auth/signin', { email: body.profile.email, password: PASSWORD });
      assert.equal(signin.status, 401, 'no password sign-in into an OAuth-only user');
    }
  });
});

describe('the device list of an OAuth session', () => {
  test("records the browser's IP and user agent that NextAuth passes in the signed body", async () => {
    const result = await exchangeOAuthSignIn(oauthBody(), {
      appUrl: env.baseUrl,
      callerSecret: env.config.OAUTH_CALLER_SECRET,
      context: { ip: '203.0.113.7', userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0' },
    });
    assert.ok(result.ok);
    const [session] = await env.services.sessions.list(result.session.userId);
    assert.equal(session?.ip, '203.0.113.7');
    assert.equal(session?.userAgent, 'Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0');
  });

  test('a client field that is not the expected shape is refused', async () => {
    const res = await signedPost(JSON.stringify({ ...oauthBody(), client: { ip: '1.2.3.4', secret: 'x' } }));
    assert.equal(res.status, 400);
  });
});

describe('the OAuth session behaves like a password session', () => {
  test('its refresh token rotates, replays within grace, is caught on reuse, and sign-out revokes it', async () => {
    const res = await signedPost(oauthBody());
    const session = (await res.json()) as any;
    assert.match(session.refresh_token, /^rt2\./);

    const a = await refresh(session.refresh_token);
    assert.equal(a.status, 200);
    assert.notEqual(a.body.refresh_token, session.refresh_token);
    const twin = await refresh(session.refresh_token);
    assert.equal(twin.body.refresh_token, a.body.refresh_token, 'a second tab gets the same successor');

    const b = await refresh(a.body.refresh_token);
    assert.equal(b.status, 200);
    const reuse = await refresh(session.refresh_token);
    assert.equal(reuse.status, 401);
    assert.equal(reuse.body.error.code, 'token_reused');
    assert.equal((await refresh(b.body.refresh_token)).body.error.code, 'token_revoked', 'the family is gone');

    const other = (await (await signedPost(oauthBody())).json()) as any;
    assert.equal((await env.post('/api/v1/auth/signout', { refresh_token: other.refresh_token })).status, 204);
    assert.equal((await refresh(other.refresh_token)).body.error.code, 'token_revoked');
  });

  test('the access token names the provider and the backend user', async () => {
    const session = (await (await signedPost(oauthBody({ provider: 'github' }))).json()) as any;
    const payload = JSON.parse(Buffer.from(session.access_token.split('.')[1], 'base64url').toString());
    assert.equal(payload.provider, 'github');
    assert.equal(payload.sub, session.user.id);
    assert.equal(payload.sid, session.session_id);
  });
});

describe("NextAuth's exchange helper against the real endpoint", () => {
  const options = () => ({ appUrl: env.baseUrl, callerSecret: env.config.OAUTH_CALLER_SECRET });

  test('returns the backend session with the provider filled in', async () => {
    const result = await exchangeOAuthSignIn(oauthBody({ provider: 'google' }), options());
    assert.ok(result.ok);
    assert.equal(result.session.provider, 'google');
    assert.match(result.session.refreshToken, /^rt2\./);
  });

  test('reports an unlinkable account as not_linkable, and a wrong secret as refused', async () => {
    const email = uniqueEmail('taken');
    assert.equal((await env.post('/api/v1/auth/signup', { email, password: PASSWORD })).status, 201);
    const notLinkable = await exchangeOAuthSignIn(oauthBody({ email, emailVerified: false }), options());
    assert.deepEqual(notLinkable.ok ? 'ok' : notLinkable.reason, 'not_linkable');
    const refused = await exchangeOAuthSignIn(oauthBody(), { ...options(), callerSecret: 'x'.repeat(40) });
    assert.deepEqual(refused.ok ? 'ok' : [refused.reason, refused.status], ['refused', 401]);
  });

  test('during an OAUTH_CALLER_SECRET rotation, NextAuth on the old value and on the new list both get in', async () => {
    const older = env.config.OAUTH_CALLER_SECRET[0]!;
    const rotating = await startTestEnvironment({ OAUTH_CALLER_SECRET: `${newSecret()},${older}` });
    try {
      const via = (callerSecret: string | readonly string[]) => ({ appUrl: rotating.baseUrl, callerSecret });
      // An instance still on the old value, and one already on the new list, sign in at the same time.
      const fromOld = await exchangeOAuthSignIn(oauthBody(), via(older));
      const fromNew = await exchangeOAuthSignIn(oauthBody(), via(rotating.config.OAUTH_CALLER_SECRET));
      assert.deepEqual([fromOld.ok, fromNew.ok], [true, true]);
      const stranger = await exchangeOAuthSignIn(oauthBody(), via(newSecret()));
      assert.deepEqual(stranger.ok ? 'ok' : [stranger.reason, stranger.status], ['refused', 401]);
    } finally {
      await rotating.close();
    }
  });

  test('reports an unreachable backend as unavailable', async () => {
    const result = await exchangeOAuthSignIn(oauthBody(), { ...options(), appUrl: 'http://127.0.0.1:1', timeoutMs: 2_000 });
    assert.deepEqual(result.ok ? 'ok' : result.reason, 'unavailable');
  });
});
