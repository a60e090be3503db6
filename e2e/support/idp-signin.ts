/** @module Signing in through the local test IdP from a browser, shared by the OAuth and second-factor tests. */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { APP_URL } from './browser';

/** Set by scripts/test/e2e.sh for the app and for the test process. */
export const IDP_NAME = process.env.AUTH_OIDC_NAME ?? 'Test IdP';
export const IDP_URL = process.env.AUTH_OIDC_ISSUER ?? 'http://127.0.0.1:3199';

/** A browser context that can reach nothing but loopback (the IdP's pages link a web font). */
export async function localContext(browser: Browser): Promise<BrowserContext> {
  const context = await browser.newContext();
  await context.route(
    (url) => !['127.0.0.1', 'localhost'].includes(url.hostname),
    (route) => route.abort(),
  );
  return context;
}

/**
 * "Sign in with <IdP>" from the app's sign-in page, then log in and consent at the IdP; the IdP asks for each at
 * most once per browser, so this returns as soon as the browser is back at the app.
 */
export async function signInAtIdp(page: Page, email: string): Promise<void> {
  await page.goto(`${APP_URL}/signin`);
  await page.click(`button:has-text("Sign in with ${IDP_NAME}")`);
  const back = (url: URL) => url.origin === new URL(APP_URL).origin && url.pathname !== '/signin';
  await page.waitForURL((url) => back(url) || url.href.startsWith(`${IDP_URL}/interaction/`));
  if (back(new URL(page.url()))) return;
  if (await page.locator('input[name=login]').count()) {
    await page.fill('input[name=login]', email);
    await page.fill('input[name=password]', 'any password: the test IdP checks none');
    await page.click('button[type=submit]');
  }
  // Either the consent page, or straight back to the app (consent already given).
  const next = await Promise.race([
    page.waitForURL(back).then(
      () => 'app',
      () => 'none',
    ),
    page.waitForSelector('input[name=prompt][value=consent]', { state: 'attached' }).then(
      () => 'consent',
      () => 'none',
    ),
  ]);
  if (next === 'consent') await page.click('button[type=submit]');
}
