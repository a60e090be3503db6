/** Changing the password on the account page, in headless Chromium: the other device is signed out at once. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { APP_URL, launchBrowser, uniqueEmail } from './support/browser';

let browser: Browser;
before(async () => {
  browser = await launchBrowser();
});
after(() => browser.close());

const OLD = 'a long enough passphrase';
const NEW = 'another long passphrase';

async function signIn(page: Page, email: string, password: string) {
  await page.goto(`${APP_URL}/signin`);
  await page.fill('input[name=email]', email);
  await page.fill('input[name=password]', password);
  await page.click('button[type=submit]');
}

async function submitPasswordForm(page: Page, current: string, next: string, confirm = next) {
  const form = page.locator('[data-testid=password-form]');
  await form.locator('input[name=current_password]').fill(current);
  await form.locator('input[name=new_password]').fill(next);
  await form.locator('input[name=confirm_password]').fill(confirm);
  await form.locator('button[type=submit]').click();
}

test('changing the password signs out the other device and only the new password works', async () => {
  const email = uniqueEmail('pw');
  const laptop = await (await browser.newContext()).newPage();
  await laptop.goto(`${APP_URL}/signup`);
  await laptop.fill('input[name=email]', email);
  await laptop.fill('input[name=password]', OLD);
  await laptop.click('button[type=submit]');
  await laptop.waitForURL(`${APP_URL}/account`);

  const phone = await (await browser.newContext()).newPage();
  await signIn(phone, email, OLD);
  await phone.waitForURL(`${APP_URL}/account`);

  await laptop.reload();
  assert.equal(await laptop.locator('[data-testid=sessions] li').count(), 2);
  await submitPasswordForm(laptop, 'not my password', NEW);
  await laptop.locator('[data-testid=password-form] [role=alert]', { hasText: 'incorrect' }).waitFor();
  await submitPasswordForm(laptop, OLD, NEW, 'a different passphrase');
  await laptop.locator('[data-testid=password-form] [role=alert]', { hasText: 'do not match' }).waitFor();
  await submitPasswordForm(laptop, OLD, NEW);
  await laptop.locator('[data-testid=password-form] [role=status]', { hasText: '1 other device was signed out' }).waitFor();

  await laptop.reload();
  assert.equal(await laptop.textContent('[data-testid=account-email]'), email, 'this device stays signed in');
  assert.equal(await laptop.locator('[data-testid=sessions] li').count(), 1);
  assert.match((await laptop.locator('[data-event=password_changed]').textContent()) ?? '', /password was changed.*1 other device was signed out/);

  // The phone's session was revoked: the middleware sends it to sign-in on its very next page.
  await phone.goto(`${APP_URL}/account`);
  await phone.waitForURL(/\/signin/);
  await signIn(phone, email, OLD);
  assert.match((await phone.locator('p.error').textContent()) ?? '', /incorrect/);
  await signIn(phone, email, NEW);
  await phone.waitForURL(`${APP_URL}/account`);
  await laptop.context().close();
  await phone.context().close();
});
