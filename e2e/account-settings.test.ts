/**
 * Account settings in headless Chromium: changing the password (the other device is signed out at once),
 * changing the email address with the link mailed to the new one, resetting a forgotten password with the
 * emailed link (read from the local mail relay), and deleting the account.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser, Locator, Page } from 'playwright-core';
import { APP_URL, enterAccount, launchBrowser, mailedLink, signUp, submitCredentials, uniqueEmail } from './support/browser';
import { accessibilityProblems } from './support/accessibility';

let browser: Browser;
before(async () => {
  browser = await launchBrowser();
});
after(() => browser.close());

const OLD = 'a long enough passphrase';
const NEW = 'another long passphrase';

const signIn = (page: Page, email: string, password: string) => submitCredentials(page, 'signin', email, password);

/** Fills the named inputs of a form (or of the page's only form) and submits it. */
async function submitForm(scope: Page | Locator, fields: Record<string, string>) {
  for (const [name, value] of Object.entries(fields)) await scope.locator(`input[name=${name}]`).fill(value);
  await scope.locator('button[type=submit]').click();
}

const submitPasswordForm = (page: Page, current: string, next: string, confirm = next) =>
  submitForm(page.locator('[data-testid=password-form]'), {
    current_password: current,
    new_password: next,
    confirm_password: confirm,
  });

test('changing the password signs out the other device and only the new password works', async () => {
  const email = uniqueEmail('pw');
  const laptop = await enterAccount(await browser.newContext(), 'signup', email, OLD);

  const phone = await enterAccount(await browser.newContext(), 'signin', email, OLD);

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
  assert.match(
    (await laptop.locator('[data-event=password_changed]').textContent()) ?? '',
    /password was changed.*1 other device was signed out/,
  );

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

test('changing the email address: a link goes to the new one, and once it is used the account shows the new address', async () => {
  const email = uniqueEmail('move');
  const next = uniqueEmail('moved');
  const page = await enterAccount(await browser.newContext(), 'signup', email, OLD);
  const problems: string[] = [];

  const form = page.locator('[data-testid=email-form]');
  await submitForm(form, { new_email: next, password: OLD });
  const sent = form.locator('[role=status]', { hasText: `We sent a link to ${next}` });
  await sent.waitFor();
  assert.match((await sent.textContent()) ?? '', new RegExp(`Your address stays ${email} until you open it`));
  // The rest of the account page is checked whole by e2e/pages.test.ts.
  problems.push(...(await accessibilityProblems(page, '/account, email change sent', '[data-testid=email-section]')));

  const link = await mailedLink(next, '/change-email');
  const opened = await page.goto(link);
  assert.equal(opened?.headers()['referrer-policy'], 'no-referrer', 'the token in the URL is never sent on');
  problems.push(...(await accessibilityProblems(page, '/change-email')));
  await page.click('button:has-text("Confirm my new email address")');
  await page.locator('[data-testid=email-changed]', { hasText: `Your email address is now ${next}` }).waitFor();
  await page.click('text=Go to your account');
  await page.waitForURL(`${APP_URL}/account`);
  assert.equal(await page.textContent('[data-testid=account-email]'), next);
  assert.match((await page.locator('[data-event=email_changed]').textContent()) ?? '', /email address was changed/);
  assert.deepEqual(problems, []);
  await page.context().close();
});

test('deleting the account asks for the password, signs out and frees the email', async () => {
  const email = uniqueEmail('delete');
  const page = await enterAccount(await browser.newContext(), 'signup', email, OLD);

  const form = page.locator('[data-testid=delete-account-form]');
  await submitForm(form, { password: 'not my password', confirm: 'delete' });
  await form.locator('[role=alert]', { hasText: 'incorrect' }).waitFor();

  // React resets a form after its action ran: fill both fields again.
  await submitForm(form, { password: OLD, confirm: 'delete' });
  await page.waitForURL(/\/signin\?deleted=1/);
  await page.locator('[role=status]', { hasText: 'deleted' }).waitFor();
  await page.goto(`${APP_URL}/account`);
  await page.waitForURL(/\/signin/);

  await signIn(page, email, OLD);
  assert.match((await page.locator('p.error').textContent()) ?? '', /incorrect/);
  await signUp(page, email, NEW);
  await signIn(page, email, NEW);
  await page.waitForURL(`${APP_URL}/account`);
  await page.context().close();
});

test('a forgotten password is reset with the emailed link, which signs out every device and works once', async () => {
  const email = uniqueEmail('forgot');
  const laptop = await enterAccount(await browser.newContext(), 'signup', email, OLD);

  const page = await (await browser.newContext()).newPage();
  await page.goto(`${APP_URL}/signin`);
  await page.click('text=Forgot your password?');
  await page.waitForURL(`${APP_URL}/forgot-password`);
  await page.fill('input[name=email]', email);
  await page.click('button[type=submit]');
  await page.locator('[role=status]', { hasText: 'sent it a link' }).waitFor();

  // The app sends through the webhook transport to the local relay of scripts/test/e2e.sh.
  const link = await mailedLink(email, '/reset-password');

  const resetPage = await page.goto(link);
  assert.equal(resetPage?.headers()['referrer-policy'], 'no-referrer', 'the token in the URL is never sent on');
  await submitForm(page, { new_password: NEW, confirm_password: NEW });
  await page.waitForURL(/\/signin\?reset=1/);
  await page.locator('[role=status]', { hasText: 'password has been changed' }).waitFor();
  await signIn(page, email, NEW);
  await page.waitForURL(`${APP_URL}/account`);
  assert.match((await page.locator('[data-event=password_reset]').textContent()) ?? '', /reset with a link sent by email/);

  // The laptop was signed out; the link does not work a second time.
  await laptop.goto(`${APP_URL}/account`);
  await laptop.waitForURL(/\/signin/);
  await laptop.goto(link);
  // A used link says so at once, before any typing.
  await laptop.locator('[role=alert]', { hasText: 'was already used' }).waitFor();
  assert.equal(await laptop.locator('input[name=new_password]').count(), 0);
  await laptop.context().close();
  await page.context().close();
});
