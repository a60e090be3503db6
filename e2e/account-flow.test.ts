/** A person signs up, signs in, sees the account page and signs out, in headless Chromium. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { APP_URL, launchBrowser, submitCredentials, uniqueEmail } from './support/browser';

let browser: Browser;
before(async () => {
  browser = await launchBrowser();
});
after(() => browser.close());

const PASSWORD = 'a long enough passphrase';

test('sign up, see the account page, sign out, and sign back in', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const email = uniqueEmail();

  await page.goto(`${APP_URL}/signup`);
  await page.fill('input[name=name]', 'Ada Lovelace');
  await page.fill('input[name=email]', email);
  await page.fill('input[name=password]', PASSWORD);
  await page.click('button[type=submit]');
  await page.waitForURL(`${APP_URL}/account`);
  assert.equal(await page.textContent('[data-testid=account-email]'), email);
  assert.equal(await page.textContent('[data-testid=account-provider]'), 'credentials');
  const expiresAt = Number(await page.getAttribute('[data-testid=access-expiry]', 'data-expires-at'));
  assert.ok(expiresAt > Date.now(), 'the access token expiry is in the future');

  // What the browser can read of the session never includes the refresh token.
  const session = await (await page.request.get(`${APP_URL}/api/auth/session`)).text();
  assert.match(session, new RegExp(email.replace(/[.+]/g, '\\$&')));
  assert.doesNotMatch(session, /rt1\.|refreshToken/);

  const me = await page.request.get(`${APP_URL}/api/me`);
  assert.equal(me.status(), 200);
  assert.equal(((await me.json()) as { user: { email: string } }).user.email, email);

  await page.click('text=Sign out');
  await page.waitForURL(/\/signin\?signedOut=1/);
  await page.goto(`${APP_URL}/account`);
  await page.waitForURL(/\/signin\?callbackUrl=%2Faccount/);
  const anonymous = await page.request.get(`${APP_URL}/api/me`);
  assert.equal(anonymous.status(), 401, 'a protected API answers 401 JSON, not a redirect');
  assert.equal(((await anonymous.json()) as { error: { code: string } }).error.code, 'unauthorized');

  await page.fill('input[name=email]', email);
  await page.fill('input[name=password]', 'the wrong password');
  await page.click('button[type=submit]');
  assert.match((await page.locator('p.error').textContent()) ?? '', /incorrect/);

  await page.fill('input[name=password]', PASSWORD);
  await page.click('button[type=submit]');
  await page.waitForURL(`${APP_URL}/account`);
  assert.equal(await page.textContent('[data-testid=account-email]'), email);
  // Signing out revoked the first session for real: only this new one is listed.
  assert.equal(await page.locator('[data-testid=sessions] li').count(), 1);
  await context.close();
});

test('a duplicate sign-up gets a clear message, not an error page', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const email = uniqueEmail('dup');
  for (let i = 0; i < 2; i++) {
    await submitCredentials(page, 'signup', email, PASSWORD);
    if (i === 0) {
      await page.waitForURL(`${APP_URL}/account`);
      await context.clearCookies();
    }
  }
  assert.match((await page.locator('p.error').textContent()) ?? '', /already exists/);
  await context.close();
});
