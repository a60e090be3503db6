/** Server-rendered pages hydrate without a mismatch, in headless Chromium (React reports one as an error). */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { APP_URL, enterAccount, launchBrowser, uniqueEmail } from './support/browser';

let browser: Browser;
before(async () => {
  browser = await launchBrowser();
});
after(() => browser.close());

/** React's hydration errors: the words in development, the error numbers (418, 423, 425) in production. */
const HYDRATION_ERROR = /hydrat|react\.dev\/errors\/(418|423|425)|error #(418|423|425)/i;

test('the account page hydrates without a mismatch, even when its scripts arrive seconds after the HTML', async () => {
  const context = await browser.newContext();
  await enterAccount(context, 'signup', uniqueEmail('hydration'), 'a long enough passphrase');
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(`${error.message}\n${error.stack ?? ''}`));
  // A slow network: the browser hydrates well after the server rendered, so time-dependent text would differ.
  await page.route('**/_next/static/chunks/**', async (route) => {
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    await route.continue();
  });
  await page.goto(`${APP_URL}/account`);
  // The countdown starts ticking only once hydrated.
  await page.waitForFunction(() =>
    /\d+m \d+s|expired/.test(document.querySelector('[data-testid=access-expiry]')?.textContent ?? ''),
  );
  assert.deepEqual(
    errors.filter((e) => HYDRATION_ERROR.test(e)),
    [],
  );
  await context.close();
});
