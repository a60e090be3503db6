/** HTTP integration tests of POST /api/v1/auth/oauth (caller proof, linking rules, the session it starts) against real Redis and PostgreSQL. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CALLER_PROOF_HEADER, signCallerProof } from '../../lib/auth/caller-proof';
import { base64urlAlias } from '../../test/support/base64url';
import { exchangeOAuthSignIn, type OAuthExchangeBody } from '../../lib/auth/oauth-exchange';
import { startTestEnvironment, uniqueEmail, type TestEnvironment } from '../../test/support/environment';

let env: TestEnvironment;
before(async () => {
  env = await startTestEnvironment({ REFRESH_GRACE_SECONDS: '1' });
});
after(() => env.close());

const PASSWORD = 'correct horse battery';

const oauthBody = (over: { provider?: string; id?: string; email?: string; emailVerified?: boolean } = {}): OAuthExchangeBody => ({
  provider: over.provider ?? 'oidc',
  providerAccountId: over.id ?? crypto.randomUUID(),
  profile: { email: over.email ?? uniqueEmail('oauth'), emailVerified: over.emailVerified ?? true, name: 'Octo Cat' },
  tokens: { type: 'oidc', accessToken: 'provider-access', refreshToken: 'provider-refresh', idToken: 'eyJ.x.y', expiresAt: 2_000_000_000 },
});

/** POSTs a body signed by this deployment (or by `secret`, at `nowMs`). */
async function signedPost(body: OAuthExchangeBody | string, { secret = env.config.OAUTH_CALLER_SECRET, nowMs = Date.now() } = {}) {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return env.post('/api/v1/auth/oauth', text, { [CALLER_PROOF_HEADER]: await signCallerProof(secret, text, nowMs) });
}

/** Asserts a 401 unauthorized_client that carries no tokens, and that nobody was created for the email. */
async function assertRefused(res: Response, email: string) {
  assert.equal(res.status, 401);
  const json = (await res.json()) as any;
  assert.equal(json.error.code, 'unauthorized_client');
  assert.equal(json.accessToken, undefined);
  assert.equal(json.refreshToken, undefined);
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
    const replay = await env.post('/api/v1/auth/oauth', text, headers);
    assert.equal(replay.status, 401);
    const json = (await replay.json()) as any;
    assert.equal(json.error.code, 'unauthorized_client');
    assert.equal(json.refreshToken, undefined);
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
  async function passwordUser() {
    const email = uniqueEmail('owner');
    const res = await env.post('/api/v1/auth/signup', { email, password: PASSWORD });
    assert.equal(res.status, 201);
    return { email, id: ((await res.json()) as any).user.id as string };
  }

  test('an unverified email that matches a password user is refused with 409 and the user is left as it was', async () => {
    const owner = await passwordUser();
    const before = await env.services.users.findByEmail(owner.email);
    const body = oauthBody({ provider: 'twitter', email: owner.email.toUpperCase(), emailVerified: false });
    const res = await signedPost(body);
    assert.equal(res.status, 409);
    const json = (await res.json()) as any;
    assert.equal(json.error.code, 'account_not_linkable');
    assert.match(json.error.message, /already exists/);
    assert.equal(json.refreshToken, undefined);
    assert.deepEqual(await env.services.users.findByEmail(owner.email), before, 'user unchanged');
    assert.equal(await env.services.users.findByAccount('twitter', body.providerAccountId), null, 'no account linked');
    assert.equal((await env.post('/api/v1/auth/signin', { email: owner.email, password: PASSWORD })).status, 200, 'password still works');
  });

  test('a verified email links to the password user, and the same provider account signs in to that user again', async () => {
    const owner = await passwordUser();
    const providerAccountId = crypto.randomUUID();
    const first = await signedPost(oauthBody({ id: providerAccountId, email: owner.email, emailVerified: true }));
    assert.equal(first.status, 200);
    const firstJson = (await first.json()) as any;
    assert.equal(firstJson.user.id, owner.id);
    assert.ok((await env.services.users.findByEmail(owner.email))?.emailVerified, 'the provider verified the email');

    // The account is found by (provider, providerAccountId), whatever email the provider reports now.
    const again = await signedPost(oauthBody({ id: providerAccountId, email: uniqueEmail('renamed'), emailVerified: false }));
    assert.equal(again.status, 200);
    const againJson = (await again.json()) as any;
    assert.equal(againJson.user.id, owner.id);
    assert.notEqual(againJson.sessionId, firstJson.sessionId, 'each sign-in is its own session');
    assert.equal((await env.post('/api/v1/auth/signin', { email: owner.email, password: PASSWORD })).status, 200, 'password still works');
  });

  test('a new email creates an OAuth-only user that has no password', async () => {
    const body = oauthBody({ emailVerified: false });
    const res = await signedPost(body);
    assert.equal(res.status, 200);
    const user = await env.services.users.findByEmail(body.profile.email);
    assert.ok(user);
    assert.equal(user.passwordHash, null);
    assert.equal(user.emailVerified, null);
    const signin = await env.post('/api/v1/auth/signin', { email: body.profile.email, password: PASSWORD });
    assert.equal(signin.status, 401, 'no password sign-in into an OAuth-only user');
  });
});

describe('the OAuth session behaves like a password session', () => {
  test('its refresh token rotates, replays within grace, is caught on reuse, and sign-out revokes it', async () => {
    const res = await signedPost(oauthBody());
    const session = (await res.json()) as any;
    assert.match(session.refreshToken, /^rt1\./);

    const a = await refresh(session.refreshToken);
    assert.equal(a.status, 200);
    assert.notEqual(a.body.refresh_token, session.refreshToken);
    const twin = await refresh(session.refreshToken);
    assert.equal(twin.body.refresh_token, a.body.refresh_token, 'a second tab gets the same successor');

    const b = await refresh(a.body.refresh_token);
    assert.equal(b.status, 200);
    const reuse = await refresh(session.refreshToken);
    assert.equal(reuse.status, 401);
    assert.equal(reuse.body.error.code, 'token_reused');
    assert.equal((await refresh(b.body.refresh_token)).body.error.code, 'token_revoked', 'the family is gone');

    const other = (await (await signedPost(oauthBody())).json()) as any;
    assert.equal((await env.post('/api/v1/auth/signout', { refresh_token: other.refreshToken })).status, 204);
    assert.equal((await refresh(other.refreshToken)).body.error.code, 'token_revoked');
  });

  test('the access token names the provider and the backend user', async () => {
    const session = (await (await signedPost(oauthBody({ provider: 'github' }))).json()) as any;
    const payload = JSON.parse(Buffer.from(session.accessToken.split('.')[1], 'base64url').toString());
    assert.equal(payload.provider, 'github');
    assert.equal(payload.sub, session.user.id);
    assert.equal(payload.sid, session.sessionId);
  });
});

describe("NextAuth's exchange helper against the real endpoint", () => {
  const options = () => ({ appUrl: env.baseUrl, callerSecret: env.config.OAUTH_CALLER_SECRET });

  test('returns the backend session with the provider filled in', async () => {
    const result = await exchangeOAuthSignIn(oauthBody({ provider: 'google' }), options());
    assert.ok(result.ok);
    assert.equal(result.session.provider, 'google');
    assert.match(result.session.refreshToken, /^rt1\./);
  });

  test('reports an unlinkable account as not_linkable, and a wrong secret as refused', async () => {
    const email = uniqueEmail('taken');
    assert.equal((await env.post('/api/v1/auth/signup', { email, password: PASSWORD })).status, 201);
    const notLinkable = await exchangeOAuthSignIn(oauthBody({ email, emailVerified: false }), options());
    assert.deepEqual(notLinkable.ok ? 'ok' : notLinkable.reason, 'not_linkable');
    const refused = await exchangeOAuthSignIn(oauthBody(), { ...options(), callerSecret: 'x'.repeat(40) });
    assert.deepEqual(refused.ok ? 'ok' : [refused.reason, refused.status], ['refused', 401]);
  });

  test('reports an unreachable backend as unavailable', async () => {
    const result = await exchangeOAuthSignIn(oauthBody(), { ...options(), appUrl: 'http://127.0.0.1:1', timeoutMs: 2_000 });
    assert.deepEqual(result.ok ? 'ok' : result.reason, 'unavailable');
  });
});
