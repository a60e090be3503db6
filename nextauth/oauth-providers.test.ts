/** Unit tests: which providers env offers, half-configured providers stop startup, and which profiles vouch for an email. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Account } from 'next-auth';
import { ConfigError } from '../lib/config/env';
import { oauthExchangeBody, PLACEHOLDER_EMAIL_DOMAIN } from './oauth-exchange';
import {
  buildOAuthProviders,
  fetchGitHubProfile,
  listOAuthProviders,
  parseOAuthSettings,
  providerVouchesForEmail,
} from './oauth-providers';

const OIDC = { AUTH_OIDC_ISSUER: 'https://idp.example.com/', AUTH_OIDC_ID: 'client', AUTH_OIDC_SECRET: 'secret' };

describe('providers offered from env', () => {
  test('no OAuth variables: no buttons, only email and password', () => {
    assert.deepEqual(listOAuthProviders(parseOAuthSettings({})), []);
    assert.deepEqual(buildOAuthProviders(parseOAuthSettings({})), []);
  });

  test('each fully configured provider is listed by name, without secrets', () => {
    const settings = parseOAuthSettings({
      AUTH_GOOGLE_ID: 'g',
      AUTH_GOOGLE_SECRET: 'gs',
      AUTH_GITHUB_ID: 'h',
      AUTH_GITHUB_SECRET: 'hs',
      AUTH_TWITTER_ID: 't',
      AUTH_TWITTER_SECRET: 'ts',
      AUTH_APPLE_ID: 'a',
      AUTH_APPLE_SECRET: 'as',
      ...OIDC,
      AUTH_OIDC_NAME: 'Acme SSO',
    });
    const list = listOAuthProviders(settings);
    assert.deepEqual(
      list.map((p) => p.id),
      ['google', 'github', 'twitter', 'apple', 'oidc'],
    );
    assert.equal(list.at(-1)!.name, 'Acme SSO');
    assert.doesNotMatch(JSON.stringify(list), /gs|hs|ts|as|secret/);
    assert.equal(buildOAuthProviders(settings).length, 5);
  });

  test('the generic OIDC provider uses the issuer, PKCE, state and nonce, and has a default name', () => {
    const settings = parseOAuthSettings(OIDC);
    assert.equal(settings.oidc?.issuer, 'https://idp.example.com', 'trailing slash dropped');
    assert.equal(listOAuthProviders(settings)[0]!.name, 'OpenID Connect');
    const [provider] = buildOAuthProviders(settings) as any[];
    assert.equal(provider.type, 'oidc');
    assert.equal(provider.issuer, 'https://idp.example.com');
    assert.deepEqual(provider.checks, ['pkce', 'state', 'nonce']);
  });

  test('Google asks for offline access with a consent prompt', () => {
    const [google] = buildOAuthProviders(parseOAuthSettings({ AUTH_GOOGLE_ID: 'g', AUTH_GOOGLE_SECRET: 's' })) as any[];
    assert.equal(google.options.authorization.params.access_type, 'offline');
    assert.equal(google.options.authorization.params.prompt, 'consent');
  });

  test('a half-configured provider stops startup with a message naming the missing variable', () => {
    assert.throws(
      () => parseOAuthSettings({ AUTH_GITHUB_ID: 'x' }),
      (e: Error) => e instanceof ConfigError && /AUTH_GITHUB_SECRET: is missing/.test(e.message),
    );
    assert.throws(
      () => parseOAuthSettings({ AUTH_OIDC_NAME: 'Acme' }),
      /AUTH_OIDC_ISSUER: is missing[\s\S]*AUTH_OIDC_ID: is missing/,
    );
    assert.throws(() => parseOAuthSettings({ AUTH_APPLE_SECRET: 'x', AUTH_APPLE_ID: '  ' }), /AUTH_APPLE_ID/);
  });

  test('an OIDC issuer must be https, except on loopback for a local IdP', () => {
    assert.throws(
      () => parseOAuthSettings({ ...OIDC, AUTH_OIDC_ISSUER: 'http://idp.example.com' }),
      /AUTH_OIDC_ISSUER: must be an https/,
    );
    assert.throws(() => parseOAuthSettings({ ...OIDC, AUTH_OIDC_ISSUER: 'not a url' }), /AUTH_OIDC_ISSUER/);
    assert.equal(
      parseOAuthSettings({ ...OIDC, AUTH_OIDC_ISSUER: 'http://127.0.0.1:3199' }).oidc?.issuer,
      'http://127.0.0.1:3199',
    );
  });
});

describe('whether a provider vouches for the email (the only case an existing account is linked)', () => {
  test('OIDC, Google and Apple: only an email_verified claim of true', () => {
    for (const provider of ['oidc', 'google', 'apple']) {
      assert.equal(providerVouchesForEmail(provider, { email_verified: true }), true, provider);
      assert.equal(providerVouchesForEmail(provider, { email_verified: false }), false, provider);
      assert.equal(providerVouchesForEmail(provider, {}), false, provider);
    }
    assert.equal(providerVouchesForEmail('apple', { email_verified: 'true' }), true, "Apple's string form");
    assert.equal(providerVouchesForEmail('oidc', { email_verified: 'false' }), false);
  });

  test('X/Twitter never vouches, whatever its profile says', () => {
    assert.equal(providerVouchesForEmail('twitter', { email_verified: true }), false);
  });

  test("GitHub: the primary address, verified only when GitHub's email list says so", async () => {
    const fake = (emails: unknown, emailsStatus = 200): typeof fetch =>
      (async (input: string | URL | Request) =>
        String(input).endsWith('/user/emails')
          ? new Response(JSON.stringify(emails), { status: emailsStatus })
          : Response.json({ id: 1, login: 'octo', email: 'public@example.test' })) as typeof fetch;

    const verified = await fetchGitHubProfile(
      't',
      fake([
        { email: 'other@example.test', primary: false, verified: true },
        { email: 'primary@example.test', primary: true, verified: true },
      ]),
    );
    assert.equal(verified.email, 'primary@example.test');
    assert.equal(providerVouchesForEmail('github', verified), true);

    const unverified = await fetchGitHubProfile('t', fake([{ email: 'primary@example.test', primary: true, verified: false }]));
    assert.equal(unverified.email, 'primary@example.test');
    assert.equal(providerVouchesForEmail('github', unverified), false);

    const noList = await fetchGitHubProfile('t', fake({ message: 'forbidden' }, 403));
    assert.equal(noList.email, 'public@example.test');
    assert.equal(providerVouchesForEmail('github', noList), false);
  });
});

describe('the body NextAuth sends to /oauth', () => {
  const account = (over: Partial<Account> = {}): Account =>
    ({
      provider: 'oidc',
      type: 'oidc',
      providerAccountId: 'sub-1',
      access_token: 'at',
      id_token: 'it',
      expires_at: 1_900_000_000.7,
      ...over,
    }) as Account;

  test('carries the identity, the verification verdict and the provider tokens', async () => {
    const body = await oauthExchangeBody(
      account(),
      { email: 'a@example.test', email_verified: true },
      { email: 'a@example.test', name: 'Ada' },
    );
    assert.deepEqual(body.profile, { email: 'a@example.test', emailVerified: true, name: 'Ada', image: null });
    assert.equal(body.tokens.accessToken, 'at');
    assert.equal(body.tokens.idToken, 'it');
    assert.equal(body.tokens.expiresAt, 1_900_000_000);
    assert.equal(body.tokens.refreshToken, null);
  });

  test('an X account without an email gets an unverified, undeliverable stand-in address of its own', async () => {
    const body = await oauthExchangeBody(
      account({ provider: 'twitter', type: 'oauth', providerAccountId: '12345' }),
      { data: {} },
      { email: null },
    );
    assert.equal(body.profile.email, `twitter-12345@${PLACEHOLDER_EMAIL_DOMAIN}`);
    assert.equal(body.profile.emailVerified, false);
    const odd = await oauthExchangeBody(
      account({ provider: 'oidc', providerAccountId: 'a b/c'.repeat(20) }),
      { email_verified: true },
      {},
    );
    assert.match(odd.profile.email, new RegExp(`^oidc-[0-9a-f]{32}@${PLACEHOLDER_EMAIL_DOMAIN.replace(/\./g, '\\.')}$`));
    assert.equal(odd.profile.emailVerified, false, 'a stand-in address is never verified, even if the IdP says email_verified');
  });
});
