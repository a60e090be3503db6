/**
 * The pages as a person meets them, in headless Chromium: every page passes axe-core (no serious or critical
 * violation) in light and dark, on a desktop and a 390 px phone, and fits the phone's width; then one test per
 * thing a person saw go wrong (issue 24), named after what they see now.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import {
  APP_URL,
  confirmEmail,
  enterAccount,
  launchBrowser,
  mailedLink,
  mailsTo,
  signUp,
  submitCredentials,
  uniqueEmail,
} from './support/browser';
import { accessibilityProblems } from './support/accessibility';

let browser: Browser;
before(async () => {
  browser = await launchBrowser();
});
after(() => browser.close());

const PASSWORD = 'a long enough passphrase';
/** A long address, the kind that pushed the account page to 541 px on a phone. */
const longEmail = () => uniqueEmail('someone-with-a-rather-long-address-for-the-phone-layout');

test('every page passes axe (no serious or critical violation) in light and dark, on desktop and a 390 px phone, and fits the phone', async () => {
  const problems: string[] = [];
  const context = await browser.newContext();
  const page = await context.newPage();
  /** Checks the page as it is, in each colour scheme and width (one load, four looks). */
  const check = async (name: string) => void problems.push(...(await accessibilityProblems(page, name)));
  for (const path of [
    '/signin',
    '/signup',
    '/forgot-password',
    '/reset-password',
    '/reset-password?token=x',
    '/verify-email',
    '/status',
    '/no-such-page',
  ]) {
    await page.goto(`${APP_URL}${path}`);
    await check(path);
  }
  // Pages in the states a person reaches: errors beside fields, a strength hint, the account page.
  await page.goto(`${APP_URL}/signup`);
  await page.fill('input[name=email]', 'someone@example');
  await page.fill('input[name=password]', 'password');
  await page.locator('[data-testid=password-strength][data-score]').waitFor();
  await page.click('button[type=submit]');
  await page.locator('.field-error').first().waitFor();
  await check('/signup with errors');
  const email = longEmail();
  await signUp(page, email, PASSWORD);
  await check('/signup, check your email');
  await submitCredentials(page, 'signin', email, PASSWORD);
  await page.waitForURL(`${APP_URL}/account`);
  await check('/account');
  await page.click('[data-testid=revoke-all] button');
  await page.locator('[data-testid=revoke-all] button.danger').waitFor();
  await check('/account, confirming a sign-out');
  await context.close();
  assert.deepEqual(problems, []);
});

test('every page has a title of its own, the app has an icon, and an unknown address offers a way back', async () => {
  const page = await browser.newPage();
  const titles = new Map<string, string>();
  for (const path of ['/signin', '/signup', '/forgot-password', '/reset-password', '/verify-email', '/status', '/no-such-page']) {
    const response = await page.goto(`${APP_URL}${path}`);
    if (path === '/no-such-page') assert.equal(response?.status(), 404);
    titles.set(path, await page.title());
  }
  assert.equal(new Set(titles.values()).size, titles.size, `distinct titles: ${[...titles.values()].join(' | ')}`);
  assert.equal(titles.get('/signin'), 'Sign in · Edge Auth');
  const icon = await page.getAttribute('link[rel=icon]', 'href');
  assert.ok(icon, 'a favicon link');
  const served = await page.request.get(new URL(icon, APP_URL).toString());
  assert.equal(served.status(), 200);
  assert.match(served.headers()['content-type'] ?? '', /svg/);
  await page.getByRole('heading', { name: 'Page not found' }).waitFor();
  await page.getByRole('link', { name: 'Go to the start page' }).click();
  await page.waitForURL(`${APP_URL}/signin`);
  await page.close();
});

test('after sign-up the page names the address the email went to and can send it again', async () => {
  const page = await browser.newPage();
  const email = uniqueEmail('named');
  await signUp(page, email, PASSWORD);
  assert.equal(await page.textContent('[data-testid=sent-to]'), email);
  await page.click('[data-testid=resend-verification] button');
  await page.locator('[data-testid=resend-verification] [role=status]', { hasText: 'new link is on its way' }).waitFor();
  // Mail goes out after the answer: wait for the second one (sign-up's link, then the new one).
  assert.equal((await mailsTo(email, 2)).filter((m) => /Confirm your email/.test(m.subject)).length, 2);

  // Forgot-password does the same.
  await page.goto(`${APP_URL}/forgot-password`);
  await page.fill('input[name=email]', email);
  await page.click('button[type=submit]');
  assert.equal(await page.locator('[data-testid=sent-to]').textContent(), email);
  await page.click('[data-testid=resend-reset] button');
  await page.locator('[data-testid=resend-reset] [role=status]', { hasText: 'another link' }).waitFor();
  assert.equal((await mailsTo(email, 4)).filter((m) => /Reset your password/.test(m.subject)).length, 2);
  await page.close();
});

test('a confirmation link used twice says the address is already confirmed, and an edited one offers a new link', async () => {
  const page = await browser.newPage();
  const email = uniqueEmail('twice');
  await signUp(page, email, PASSWORD);
  const link = await mailedLink(email, '/verify-email');
  await confirmEmail(page, email);
  await page.goto(link);
  await page.click('button:has-text("Confirm my email address")');
  await page.locator('[role=status]', { hasText: 'already used: your email address is confirmed' }).waitFor();
  await page.getByRole('link', { name: 'Sign in' }).last().click();
  await page.waitForURL(`${APP_URL}/signin`);

  const other = uniqueEmail('edited');
  await signUp(page, other, PASSWORD);
  const edited = (await mailedLink(other, '/verify-email')).replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'));
  await page.goto(edited);
  await page.click('button:has-text("Confirm my email address")');
  await page.locator('[role=alert]', { hasText: 'expired, was already used' }).waitFor();
  await page.fill('[data-testid=resend-verification] input[name=email]', other);
  await page.click('[data-testid=resend-verification] button');
  await page.locator('[data-testid=resend-verification] [role=status]', { hasText: 'new link' }).waitFor();
  await mailsTo(other, 2); // the new link, mailed after the answer, voids the first
  await confirmEmail(page, other);
  await page.waitForURL(/\/signin\?verified=1/);
  await page.close();
});

test('a refused field says why in a sentence beside it, and the form keeps what was typed', async () => {
  const page = await (await browser.newContext()).newPage();
  await page.goto(`${APP_URL}/signup`);
  await page.fill('input[name=name]', 'Ada Lovelace');
  await page.fill('input[name=email]', 'someone@example');
  await page.fill('input[name=password]', PASSWORD);
  await page.click('button[type=submit]');
  const emailError = page.locator('input[name=email] ~ .field-error');
  await emailError.waitFor();
  assert.equal(await emailError.textContent(), 'Enter an email address like name@example.com.');
  assert.equal(await page.getAttribute('input[name=email]', 'aria-invalid'), 'true');
  assert.equal(await page.inputValue('input[name=name]'), 'Ada Lovelace', 'the name is kept');
  assert.equal(await page.inputValue('input[name=email]'), 'someone@example');
  assert.doesNotMatch((await page.textContent('main')) ?? '', /email: email must/);

  // A mismatch on the reset page: the error beside the repetition, both fields kept.
  const email = uniqueEmail('kept');
  await signUp(page, email, PASSWORD);
  await page.goto(`${APP_URL}/forgot-password`);
  await page.fill('input[name=email]', email);
  await page.click('button[type=submit]');
  await page.locator('[data-testid=sent-to]').waitFor();
  await page.goto(await mailedLink(email, '/reset-password'));
  await page.fill('input[name=new_password]', 'another long passphrase');
  await page.fill('input[name=confirm_password]', 'another long passphrase!');
  await page.click('button[type=submit]');
  await page.locator('input[name=confirm_password] ~ .field-error', { hasText: 'do not match' }).waitFor();
  assert.equal(await page.inputValue('input[name=new_password]'), 'another long passphrase');
  assert.equal(await page.inputValue('input[name=confirm_password]'), 'another long passphrase!');

  // A wrong password in the delete form keeps the confirmation word.
  const account = await enterAccount(page.context(), 'signin', email, PASSWORD);
  const form = account.locator('[data-testid=delete-account-form]');
  await form.locator('input[name=password]').fill('not my password');
  await form.locator('input[name=confirm]').fill('delete');
  await form.locator('button[type=submit]').click();
  await form.locator('input[name=password] ~ .field-error', { hasText: 'incorrect' }).waitFor();
  assert.equal(await form.locator('input[name=confirm]').inputValue(), 'delete');
  await page.context().close();
});

test('the account page says "Password", gives times in words with the exact time on hover, and keeps the token countdown in technical details', async () => {
  const context = await browser.newContext({ timezoneId: 'Asia/Tokyo' });
  const page = await enterAccount(context, 'signup', uniqueEmail('words'), PASSWORD);
  assert.equal(await page.textContent('[data-testid=account-provider]'), 'Password');
  const text = (await page.textContent('main')) ?? '';
  assert.doesNotMatch(text, /credentials|UTC|Provider/);
  const time = page.locator('[data-testid=sessions] [data-testid=relative-time]').first();
  assert.match((await time.textContent()) ?? '', /just now|minute/);
  await page.waitForFunction(() => document.querySelector('[data-testid=sessions] time')?.getAttribute('title'));
  assert.match((await time.getAttribute('title')) ?? '', /Asia\/Tokyo/, 'the exact time, in the browser time zone');
  const expiry = page.locator('details [data-testid=access-expiry]');
  assert.equal(await expiry.count(), 1, 'the countdown is inside the technical details');
  assert.equal(await expiry.isVisible(), false, 'closed until asked for');
  await context.close();
});

test('security events name the device as the device list does, in plain sentences', async () => {
  const email = uniqueEmail('events');
  const page = await enterAccount(await browser.newContext(), 'signup', email, PASSWORD);
  const form = page.locator('[data-testid=password-form]');
  await form.locator('input[name=current_password]').fill(PASSWORD);
  await form.locator('input[name=new_password]').fill('another long passphrase');
  await form.locator('input[name=confirm_password]').fill('another long passphrase');
  await form.locator('button[type=submit]').click();
  await form.locator('[role=status]', { hasText: 'No other device was signed in.' }).waitFor();
  await page.reload();
  const event = (await page.locator('[data-event=password_changed]').textContent()) ?? '';
  const device = (await page.locator('[data-testid=device-name]').first().textContent()) ?? '';
  assert.ok(event.includes(`on ${device}`), `"${event}" names "${device}"`);
  assert.doesNotMatch(event, /Mozilla\/5\.0|0 other devices/);
  await page.context().close();
});

test('a common password, eight spaces or the current password are refused beside the field, with a strength hint while typing', async () => {
  const page = await browser.newPage();
  await page.goto(`${APP_URL}/signup`);
  const email = uniqueEmail('weak');
  await page.fill('input[name=email]', email);
  const hint = page.locator('[data-testid=password-strength]');
  await page.fill('input[name=password]', 'short');
  await hint.locator('text=Too short').waitFor();
  await page.fill('input[name=password]', 'iloveyou');
  await hint.locator('text=Not allowed').waitFor();
  assert.match((await hint.textContent()) ?? '', /most common passwords/);
  await page.fill('input[name=password]', PASSWORD);
  await hint.locator('text=Strong').waitFor();
  for (const [password, why] of [
    ['iloveyou', /most common/],
    [' '.repeat(8), /repeated or sequential/],
  ] as const) {
    await page.fill('input[name=password]', password);
    await page.click('button[type=submit]');
    await page.locator('input[name=password] ~ .field-error', { hasText: why }).waitFor();
  }
  await page.close();

  const account = await enterAccount(await browser.newContext(), 'signup', uniqueEmail('same'), PASSWORD);
  const form = account.locator('[data-testid=password-form]');
  await form.locator('input[name=current_password]').fill(PASSWORD);
  await form.locator('input[name=new_password]').fill(PASSWORD);
  await form.locator('input[name=confirm_password]').fill(PASSWORD);
  await form.locator('button[type=submit]').click();
  await form.locator('input[name=new_password] ~ .field-error', { hasText: 'same as the current one' }).waitFor();
  await account.context().close();
});

test('deleting accepts "Delete" in any case; signing out a device asks first and says what it did; one device has nothing else to sign out', async () => {
  const email = uniqueEmail('destructive');
  const laptop = await enterAccount(
    await browser.newContext({ userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0' }),
    'signup',
    email,
    PASSWORD,
  );
  assert.equal(await laptop.textContent('[data-testid=revoke-others]'), 'This is your only signed-in device.');
  const phone = await enterAccount(await browser.newContext(), 'signin', email, PASSWORD);

  // The danger button looks different from an ordinary one.
  const colour = (selector: string) =>
    phone
      .locator(selector)
      .first()
      .evaluate((b) => getComputedStyle(b).backgroundColor);
  assert.notEqual(await colour('[data-testid=delete-account-form] button'), await colour('[data-testid=password-form] button'));

  const other = phone.locator('[data-testid=sessions] li', { hasNotText: '(this device)' });
  await other.locator('button', { hasText: 'Sign out this device' }).click();
  await other.locator('text=Sign out Firefox 128 on Windows 10?').waitFor();
  await other.locator('button', { hasText: 'Yes, sign it out' }).click();
  await other.locator('[role=status]', { hasText: 'Firefox 128 on Windows 10 was signed out' }).waitFor();
  await phone.reload();
  assert.equal(await phone.locator('[data-testid=sessions] li').count(), 1);
  assert.equal(await phone.textContent('[data-testid=revoke-others]'), 'This is your only signed-in device.');

  const form = phone.locator('[data-testid=delete-account-form]');
  await form.locator('input[name=password]').fill(PASSWORD);
  await form.locator('input[name=confirm]').fill('Delete');
  await form.locator('button[type=submit]').click();
  await phone.waitForURL(/\/signin\?deleted=1/);
  await laptop.context().close();
  await phone.context().close();
});

test('"Sign out all other devices" asks first and says how many were signed out', async () => {
  const email = uniqueEmail('others');
  const first = await enterAccount(await browser.newContext(), 'signup', email, PASSWORD);
  const second = await enterAccount(await browser.newContext(), 'signin', email, PASSWORD);
  await second.click('[data-testid=revoke-others] button');
  await second.click('[data-testid=revoke-others] button:has-text("Yes, sign them out")');
  await second.locator('[role=status]', { hasText: '1 other device was signed out.' }).waitFor();
  await first.goto(`${APP_URL}/account`);
  await first.waitForURL(/\/signin/);
  await first.context().close();
  await second.context().close();
});

test('signed-in people see "You are signed in as …" on sign-in, sign-up and forgot-password, not a form', async () => {
  const email = uniqueEmail('already');
  const page = await enterAccount(await browser.newContext(), 'signup', email, PASSWORD);
  for (const path of ['/signin', '/signup', '/forgot-password']) {
    await page.goto(`${APP_URL}${path}`);
    const notice = page.locator('[data-testid=signed-in-notice]');
    assert.match((await notice.textContent()) ?? '', new RegExp(`You are signed in as ${email.replace(/[.+]/g, '\\$&')}`), path);
    assert.equal(await page.locator('input[name=password], input[name=email]').count(), 0, `${path} shows no form`);
  }
  await page.getByRole('link', { name: 'Go to your account' }).click();
  await page.waitForURL(`${APP_URL}/account`);
  await page.goto(`${APP_URL}/signup`);
  await page.click('[data-testid=signed-in-notice] button:has-text("Sign out")');
  await page.waitForURL(/\/signin\?signedOut=1/);
  // The sign-out is announced to screen readers: a live region.
  assert.equal(await page.getAttribute('[data-testid=page-status]', 'role'), 'status');
  assert.equal(await page.textContent('[data-testid=page-status]'), 'You have been signed out.');
  await page.context().close();
});

test('an invalid reset link says so at once, without the form and without repeating itself', async () => {
  const page = await browser.newPage();
  await page.goto(`${APP_URL}/reset-password?token=${'x'.repeat(43)}`);
  const error = page.locator('[data-testid=reset-link-invalid]');
  assert.equal(await error.getAttribute('role'), 'alert');
  assert.equal(await page.locator('input[type=password]').count(), 0, 'no form for a dead link');
  const text = (await page.textContent('main')) ?? '';
  assert.equal(text.match(/new (one|link)/gi)?.length, 1, `one way forward: ${text}`);
  await page.getByRole('link', { name: 'Ask for a new link' }).click();
  await page.waitForURL(`${APP_URL}/forgot-password`);
  await page.close();
});

test('Back and Forward after signing out show no "?_rsc=" in the address bar', async () => {
  const context = await browser.newContext();
  const page = await enterAccount(context, 'signup', uniqueEmail('back'), PASSWORD);
  await page.goto(`${APP_URL}/status`);
  await page.goto(`${APP_URL}/account`);
  await page.click('text=Sign out');
  await page.waitForURL(/\/signin\?signedOut=1/);
  // Back to the account page, no longer open to this browser: the client router's fetch of it is refused.
  await page.goBack();
  await page.waitForURL((url) => url.pathname === '/signin' && url.searchParams.get('callbackUrl') === '/account');
  await page.goBack();
  await page.waitForURL(`${APP_URL}/status`);
  await page.goForward();
  await page.waitForURL((url) => url.pathname === '/signin');
  await page.waitForLoadState('networkidle');
  assert.doesNotMatch(decodeURIComponent(page.url()), /_rsc/, page.url());
  await context.close();
});
