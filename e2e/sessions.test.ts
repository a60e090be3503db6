/** Several tabs and devices of one user in headless Chromium, with access tokens that expire in seconds. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { APP_URL, enterAccount, launchBrowser, uniqueEmail } from './support/browser';

let browser: Browser;
before(async () => {
  browser = await launchBrowser();
});
after(() => browser.close());

const PASSWORD = 'a long enough passphrase';

/** Opens a tab, submits the sign-up or sign-in form, and waits for the account page. */
const enter = (context: BrowserContext, form: 'signup' | 'signin', email: string) => enterAccount(context, form, email, PASSWORD);

/** Resolves once the server action posted from the account page has answered. */
const actionDone = (page: Page) =>
  page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/account');

const expiryOf = async (page: Page) => Number(await page.getAttribute('[data-testid=access-expiry]', 'data-expires-at'));

test('two tabs of one user keep working across several rotations without a sign-out', async () => {
  const context = await browser.newContext();
  const email = uniqueEmail('tabs');
  const first = await enter(context, 'signup', email);
  const second = await context.newPage();
  await second.goto(`${APP_URL}/account`);
  const expiries = new Set<number>();
  // Access tokens live 6 s in the e2e server and refresh 2 s before expiry: ~16 s crosses several rotations,
  // with both tabs loading at the same moment each time.
  for (let round = 0; round < 8; round++) {
    await Promise.all([first.reload(), second.reload()]);
    for (const tab of [first, second]) {
      assert.equal(tab.url(), `${APP_URL}/account`, `round ${round}: still signed in`);
      assert.equal(await tab.textContent('[data-testid=account-email]'), email);
      expiries.add(await expiryOf(tab));
    }
    await first.waitForTimeout(2_000);
  }
  assert.ok(expiries.size >= 3, `expected several rotations, saw ${expiries.size} access tokens`);
  assert.equal(await first.locator('[data-testid=security-events]').count(), 0, 'no reuse was detected');
  await context.close();
});

test('a second device is listed, and "sign out all other devices" signs the first one out', async () => {
  const email = uniqueEmail('devices');
  const laptop = await browser.newContext({
    userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0',
  });
  const phone = await browser.newContext({
    userAgent:
      'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1',
  });
  const laptopPage = await enter(laptop, 'signup', email);
  const phonePage = await enter(phone, 'signin', email);
  assert.equal(await phonePage.locator('[data-testid=sessions] li').count(), 2);
  // Devices are listed by a name a person recognises, newest use first.
  assert.deepEqual(await phonePage.locator('[data-testid=device-name]').allTextContents(), [
    'Safari 17 on iOS 17.4',
    'Firefox 128 on Windows 10',
  ]);

  await phonePage.click('text=Sign out all other devices');
  await phonePage.click('button:has-text("Yes, sign them out")');
  await phonePage.locator('[role=status]', { hasText: '1 other device was signed out.' }).waitFor();
  await phonePage.reload();
  assert.equal(await phonePage.locator('[data-testid=sessions] li').count(), 1);

  await laptopPage.goto(`${APP_URL}/account`);
  await laptopPage.waitForURL(/\/signin\?.*error=SessionExpired/);
  assert.match((await laptopPage.locator('p.error').textContent()) ?? '', /session has ended/);
  await laptop.close();
  await phone.close();
});

test('"Sign out this device" signs out another device only: the current one has no button, and a forged form is refused', async () => {
  const email = uniqueEmail('one-device');
  const laptop = await browser.newContext();
  const phone = await browser.newContext();
  const laptopPage = await enter(laptop, 'signup', email);
  const phonePage = await enter(phone, 'signin', email);
  const rows = phonePage.locator('[data-testid=sessions] li');
  assert.equal(await rows.count(), 2);
  const here = rows.filter({ hasText: '(this device)' });
  const there = rows.filter({ hasNotText: '(this device)' });
  assert.equal(await here.locator('button', { hasText: 'Sign out this device' }).count(), 0, 'no button for the current device');
  const hereId = await here.getAttribute('data-session-id');
  const thereId = await there.getAttribute('data-session-id');
  assert.ok(hereId && thereId && hereId !== thereId);

  // A forged form naming this device's own session: the one rule refuses it, nothing is signed out.
  await there.locator('button', { hasText: 'Sign out this device' }).click();
  await there.locator('input[name=sessionId]').evaluate((input, id) => ((input as HTMLInputElement).value = id), hereId);
  await Promise.all([actionDone(phonePage), there.locator('button', { hasText: 'Yes, sign it out' }).click()]);
  await there.locator('[role=alert]', { hasText: 'This is the device you are using' }).waitFor();
  await phonePage.reload();
  assert.equal(phonePage.url(), `${APP_URL}/account`, 'still signed in here');
  assert.deepEqual(
    (await rows.evaluateAll((li) => li.map((l) => l.getAttribute('data-session-id')))).sort(),
    [hereId, thereId].sort(),
  );

  await phonePage.locator(`[data-session-id="${thereId}"] button`, { hasText: 'Sign out this device' }).click();
  await Promise.all([
    actionDone(phonePage),
    phonePage.locator(`[data-session-id="${thereId}"] button`, { hasText: 'Yes, sign it out' }).click(),
  ]);
  await phonePage.reload();
  assert.deepEqual(await rows.evaluateAll((li) => li.map((l) => l.getAttribute('data-session-id'))), [hereId]);
  await laptopPage.goto(`${APP_URL}/account`);
  await laptopPage.waitForURL(/\/signin\?.*error=SessionExpired/);
  await laptop.close();
  await phone.close();
});
