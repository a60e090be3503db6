/** A person signs in with an OpenID Connect provider (the local test IdP: real code flow, PKCE, state, nonce), stays signed in across access-token expiry, and signs out. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import {
  APP_URL,
  confirmEmail,
  enterAccount,
  launchBrowser,
  sessionUserId,
  signUp,
  submitCredentials,
  uniqueEmail,
} from './support/browser';
import { IDP_NAME, IDP_URL, localContext, signInAtIdp } from './support/idp-signin';
import { UNREACHABLE_PATH } from './support/oidc-provider';

const PASSWORD = 'a long enough passphrase';

let browser: Browser;
before(async () => {
  browser = await launchBrowser();
});
after(() => browser.close());

const accessExpiry = async (page: Page) => Number(await page.getAttribute('[data-testid=access-expiry]', 'data-expires-at'));

test('sign in with the OpenID provider, stay signed in past access-token expiry, sign out', async () => {
  const context = await localContext(browser);
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
  assert.equal(await page.textContent('[data-testid=account-provider]'), IDP_NAME);
  assert.equal(await page.locator('[data-testid=password-form]').count(), 0, 'an account without a password has none to change');

  // The browser never sees the backend refresh token, nor the provider's tokens.
  const session = await (await page.request.get(`${APP_URL}/api/auth/session`)).text();
  assert.doesNotMatch(session, /rt[12]\.|refreshToken|id_token|idToken/);

  // Wait out the (6 s) access token; the reload must be served by a rotated one, still signed in.
  const firstExpiry = await accessExpiry(page);
  await page.waitForTimeout(Math.max(0, firstExpiry - Date.now()) + 1_000);
  await page.reload();
  await page.waitForURL(`${APP_URL}/account`);
  assert.equal(await page.textContent('[data-testid=account-email]'), email);
  assert.equal(await page.textContent('[data-testid=account-provider]'), IDP_NAME);
  assert.ok((await accessExpiry(page)) > firstExpiry, 'a new access token was issued');

  await page.click('text=Sign out');
  await page.waitForURL(/\/signin\?signedOut=1/);
  await page.goto(`${APP_URL}/account`);
  await page.waitForURL(/\/signin/);
  await context.close();
});

test('signing in with the IdP again returns to the same account', async () => {
  const context = await localContext(browser);
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

test('an IdP-verified email links to the existing password account whose email is verified too', async () => {
  const context = await localContext(browser);
  const page = await context.newPage();
  const email = uniqueEmail('linked');
  await signUp(page, email, PASSWORD);
  await confirmEmail(page, email);
  await submitCredentials(page, 'signin', email, PASSWORD);
  await page.waitForURL(`${APP_URL}/account`);
  const passwordUserId = await sessionUserId(page);
  await page.click('text=Sign out');
  await page.waitForURL(/\/signin\?signedOut=1/);

  await signInAtIdp(page, email);
  await page.waitForURL(`${APP_URL}/account`);
  assert.equal(await page.textContent('[data-testid=account-provider]'), IDP_NAME);
  assert.equal(await sessionUserId(page), passwordUserId);
  assert.equal(await page.locator('[data-testid=password-form]').count(), 1, 'the password stays');
  assert.equal(await page.locator('[data-event=unverified_account_claimed]').count(), 0);
  // The device list names where the OAuth session signed in from, as for a password session.
  assert.match((await page.locator('[data-testid=sessions] li').first().textContent()) ?? '', /127\.0\.0\.1/);
  await context.close();
});

test("pre-hijacking fails: the IdP-verified owner claims the squatter's unverified account, whose password and session die", async () => {
  const email = uniqueEmail('victim');
  // The squatter registers the victim's address and stays signed in (EMAIL_VERIFICATION=optional lets them).
  const squatter = await enterAccount(await browser.newContext(), 'signup', email, PASSWORD);
  const squattedId = await sessionUserId(squatter);

  const victimContext = await localContext(browser);
  const victim = await victimContext.newPage();
  await signInAtIdp(victim, email);
  await victim.waitForURL(`${APP_URL}/account`);
  assert.equal(await sessionUserId(victim), squattedId, "the one account of the address, now the owner's");
  assert.match(
    (await victim.locator('[data-event=unverified_account_claimed]').textContent()) ?? '',
    /password was removed and 1 device was signed out/,
  );
  assert.equal(await victim.locator('[data-testid=password-form]').count(), 0, 'no password the victim never set');
  assert.equal(await victim.locator('[data-testid=sessions] li').count(), 1, "the squatter's device is gone");
  assert.equal(await victim.getAttribute('[data-testid=email-status]', 'data-verified'), 'true');

  // The squatter's session ends at its next page, and the password no longer signs in.
  await squatter.goto(`${APP_URL}/account`);
  await squatter.waitForURL(/\/signin/);
  await submitCredentials(squatter, 'signin', email, PASSWORD);
  assert.match((await squatter.locator('p.error').textContent()) ?? '', /incorrect/);
  await squatter.context().close();
  await victimContext.close();
});

test('an email the IdP does not vouch for never links to the account with that address', async () => {
  const email = uniqueEmail('unlinked');
  const owner = await enterAccount(await browser.newContext(), 'signup', email, PASSWORD);
  const context = await localContext(browser);
  const page = await context.newPage();
  // The test IdP asserts `email_verified: false` for logins with this prefix.
  await signInAtIdp(page, `unverified-${email}`);
  await page.waitForURL((url) => url.pathname === '/signin' && url.searchParams.get('error') === 'OAuthAccountNotLinked');
  assert.match((await page.locator('p.error').textContent()) ?? '', /did not confirm that the email is verified/);
  await owner.reload();
  assert.equal(await owner.textContent('[data-testid=account-email]'), email, 'the owner is still signed in');
  await owner.context().close();
  await context.close();
});

const callbackUrl = `${APP_URL}/api/auth/callback/oidc`;

/**
 * Lets `onCallback` see (and change) the app's callback URL before the browser goes there. The IdP sends the
 * browser to it by redirects, which Playwright's routes do not intercept, so the IdP's form posts are routed
 * and their redirects followed here, with the context's cookies, until one points at the app.
 */
async function beforeCallback(context: BrowserContext, onCallback: (url: URL) => Promise<void> | void) {
  await context.route(
    (url) => url.href.startsWith(`${IDP_URL}/interaction/`),
    async (route) => {
      if (route.request().method() !== 'POST') return route.continue();
      let response = await route.fetch({ maxRedirects: 0 });
      let location = response.headers()['location'];
      while (location && !location.startsWith(callbackUrl) && !location.includes('/interaction/')) {
        response = await context.request.get(new URL(location, IDP_URL).href, { maxRedirects: 0 });
        location = response.headers()['location'];
      }
      if (!location?.startsWith(callbackUrl)) return route.fulfill({ response });
      const url = new URL(location);
      await onCallback(url);
      return route.fulfill({ status: 303, headers: { location: url.href } });
    },
  );
}
const errorOf = (page: Page) => new URL(page.url()).searchParams.get('error');
const onSignInPage = (url: URL) => url.port === new URL(APP_URL).port && url.pathname === '/signin';

test('a used callback: reloading it signed in goes to the account; replayed elsewhere, a clear message', async () => {
  const context = await localContext(browser);
  const page = await context.newPage();
  const callback = page.waitForRequest((req) => req.url().startsWith(callbackUrl));
  await signInAtIdp(page, uniqueEmail('reload'));
  const used = (await callback).url();
  await page.waitForURL(`${APP_URL}/account`);

  // The back button to the callback (or a reload of it): the state cookie is spent, the person is signed in.
  await page.goto(used);
  await page.waitForURL(`${APP_URL}/account`);

  // The same callback in another browser (a replay): refused, and said so plainly.
  const other = await context.browser()!.newContext();
  const thief = await other.newPage();
  await thief.goto(used);
  await thief.waitForURL(onSignInPage);
  assert.equal(errorOf(thief), 'OAuthCallbackInvalid');
  assert.match((await thief.locator('p.error').textContent()) ?? '', /already used, has expired or was altered/);
  await thief.goto(`${APP_URL}/account`);
  await thief.waitForURL(/\/signin/);
  await other.close();
  await context.close();
});

test('a tampered callback (state or code) is refused with the same clear message', async () => {
  for (const param of ['state', 'code']) {
    const context = await localContext(browser);
    await beforeCallback(context, (url) => url.searchParams.set(param, `${url.searchParams.get(param)}x`));
    const page = await context.newPage();
    await signInAtIdp(page, uniqueEmail(`tampered-${param}`));
    await page.waitForURL(onSignInPage);
    assert.equal(errorOf(page), 'OAuthCallbackInvalid', `tampered ${param}`);
    await context.close();
  }
});

test('an unreachable provider is named as such, when sign-in starts and when the callback needs it', async () => {
  const unreachable = (on: boolean) => fetch(`${IDP_URL}${UNREACHABLE_PATH}`, { method: 'POST', body: on ? 'on' : 'off' });
  const context = await localContext(browser);
  const page = await context.newPage();
  try {
    await unreachable(true);
    await page.goto(`${APP_URL}/signin`);
    await page.click(`button:has-text("Sign in with ${IDP_NAME}")`);
    await page.waitForURL((url) => onSignInPage(url) && url.searchParams.has('error'));
    assert.equal(errorOf(page), 'OAuthProviderUnreachable');
    assert.match((await page.locator('p.error').textContent()) ?? '', /could not be reached/);
    await unreachable(false);

    // The IdP goes away between the person's consent and the app's token request.
    await beforeCallback(context, async () => void (await unreachable(true)));
    await signInAtIdp(page, uniqueEmail('unreachable'));
    await page.waitForURL((url) => onSignInPage(url) && url.searchParams.has('error'));
    assert.equal(errorOf(page), 'OAuthProviderUnreachable');
  } finally {
    await unreachable(false);
    await context.close();
  }
});

test('cancelling at the IdP comes back to the sign-in page with a clear message', async () => {
  const context = await localContext(browser);
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
