/** A person signs in with an OpenID Connect provider (the local test IdP: real code flow, PKCE, state, nonce), stays signed in across access-token expiry, and signs out. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { APP_URL, launchBrowser, sessionUserId, submitCredentials, uniqueEmail } from './support/browser';

/** Set by scripts/test/e2e.sh for the app and for this process. */
const IDP_NAME = process.env.AUTH_OIDC_NAME ?? 'Test IdP';
const IDP_URL = process.env.AUTH_OIDC_ISSUER ?? 'http://127.0.0.1:3199';
const PASSWORD = 'a long enough passphrase';

let browser: Browser;
before(async () => {
  browser = await launchBrowser();
});
after(() => browser.close());

/** A browser context that can reach nothing but loopback (the IdP's pages link a web font). */
async function localContext(): Promise<BrowserContext> {
  const context = await browser.newContext();
  await context.route((url) => !['127.0.0.1', 'localhost'].includes(url.hostname), (route) => route.abort());
  return context;
}

/** From the app's sign-in page: "Sign in with …", log in at the IdP, consent. */
async function signInAtIdp(page: Page, email: string) {
  await page.goto(`${APP_URL}/signin`);
  await page.click(`button:has-text("Sign in with ${IDP_NAME}")`);
  await page.waitForURL((url) => url.href.startsWith(`${IDP_URL}/interaction/`));
  await page.fill('input[name=login]', email);
  await page.fill('input[name=password]', 'any password: the test IdP checks none');
  await page.click('button[type=submit]');
  // The consent page of the IdP (first sign-in of this account to this client).
  await page.waitForSelector('input[name=prompt][value=consent]', { state: 'attached' });
  await page.click('button[type=submit]');
}

const accessExpiry = async (page: Page) => Number(await page.getAttribute('[data-testid=access-expiry]', 'data-expires-at'));

test('sign in with the OpenID provider, stay signed in past access-token expiry, sign out', async () => {
  const context = await localContext();
  const page = await context.newPage();
  const email = uniqueEmail('oidc');

  // The authorization request the app sent: code flow with PKCE (S256), state and nonce.
  const authorizeRequest = page.waitForRequest((req) => req.url().startsWith(`${IDP_URL}/auth`));
  await signInAtIdp(page, email);
  const sent = new URL((await authorizeRequest).url());
  assert.equal(sent.searchParams.get('response_type'), 'code');
  assert.equal(sent.searchParams.get('redirect_uri'), `${APP_URL}/api/auth/callback/oidc`);
  assert.equal(sent.searchParams.get('code_challenge_method'), 'S256');
  assert.ok(sent.searchParams.get('code_challenge'), 'PKCE challenge sent');
  assert.ok(sent.searchParams.get('state'), 'state sent');
  assert.ok(sent.searchParams.get('nonce'), 'nonce sent');

  await page.waitForURL(`${APP_URL}/account`);
  assert.equal(await page.textContent('[data-testid=account-email]'), email);
  assert.equal(await page.textContent('[data-testid=account-provider]'), 'oidc');
  assert.equal(await page.locator('[data-testid=password-form]').count(), 0, 'an account without a password has none to change');

  // The browser never sees the backend refresh token, nor the provider's tokens.
  const session = await (await page.request.get(`${APP_URL}/api/auth/session`)).text();
  assert.doesNotMatch(session, /rt1\.|refreshToken|id_token|idToken/);

  // Wait out the (6 s) access token; the reload must be served by a rotated one, still signed in.
  const firstExpiry = await accessExpiry(page);
  await page.waitForTimeout(Math.max(0, firstExpiry - Date.now()) + 1_000);
  await page.reload();
  await page.waitForURL(`${APP_URL}/account`);
  assert.equal(await page.textContent('[data-testid=account-email]'), email);
  assert.equal(await page.textContent('[data-testid=account-provider]'), 'oidc');
  assert.ok((await accessExpiry(page)) > firstExpiry, 'a new access token was issued');

  await page.click('text=Sign out');
  await page.waitForURL(/\/signin\?signedOut=1/);
  await page.goto(`${APP_URL}/account`);
  await page.waitForURL(/\/signin/);
  await context.close();
});

test('signing in with the IdP again returns to the same account', async () => {
  const context = await localContext();
  const page = await context.newPage();
  const email = uniqueEmail('oidc-again');
  await signInAtIdp(page, email);
  await page.waitForURL(`${APP_URL}/account`);
  const firstId = await sessionUserId(page);
  await page.click('text=Sign out');
  await page.waitForURL(/\/signin\?signedOut=1/);

  // The IdP still has its own session: it skips the login form (and consent was granted before).
  await page.click(`button:has-text("Sign in with ${IDP_NAME}")`);
  await page.waitForURL(`${APP_URL}/account`);
  assert.equal(await page.textContent('[data-testid=account-email]'), email);
  const secondId = await sessionUserId(page);
  assert.equal(secondId, firstId);
  await context.close();
});

test('an IdP-verified email signs in to the existing password account with that email', async () => {
  const context = await localContext();
  const page = await context.newPage();
  const email = uniqueEmail('linked');
  await submitCredentials(page, 'signup', email, PASSWORD);
  await page.waitForURL(`${APP_URL}/account`);
  const passwordUserId = await sessionUserId(page);
  await page.click('text=Sign out');
  await page.waitForURL(/\/signin\?signedOut=1/);

  await signInAtIdp(page, email);
  await page.waitForURL(`${APP_URL}/account`);
  assert.equal(await page.textContent('[data-testid=account-provider]'), 'oidc');
  const oidcUserId = await sessionUserId(page);
  assert.equal(oidcUserId, passwordUserId);
  await context.close();
});

test('cancelling at the IdP comes back to the sign-in page with a clear message', async () => {
  const context = await localContext();
  const page = await context.newPage();
  await page.goto(`${APP_URL}/signin`);
  await page.click(`button:has-text("Sign in with ${IDP_NAME}")`);
  await page.waitForURL((url) => url.href.startsWith(`${IDP_URL}/interaction/`));
  await page.click('text=Cancel');
  // Auth.js builds its error redirect from the request URL, which Next.js reports as "localhost" for 127.0.0.1.
  await page.waitForURL((url) => url.port === new URL(APP_URL).port && url.pathname === '/signin');
  assert.match((await page.locator('p.error').textContent()) ?? '', /did not complete|cancelled/);
  await page.goto(`${APP_URL}/account`);
  await page.waitForURL(/\/signin/);
  await context.close();
});
