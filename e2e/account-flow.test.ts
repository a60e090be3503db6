/** A person signs up, confirms the email, signs in, sees the account page and signs out, in headless Chromium. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { APP_URL, confirmEmail, launchBrowser, mailsTo, signUp, submitCredentials, uniqueEmail } from './support/browser';

let browser: Browser;
before(async () => {
  browser = await launchBrowser();
});
after(() => browser.close());

const PASSWORD = 'a long enough passphrase';

test('sign up, confirm the email, see the account page, sign out, and sign back in', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const email = uniqueEmail();

  await page.goto(`${APP_URL}/signup`);
  await page.fill('input[name=name]', 'Ada Lovelace');
  await page.fill('input[name=email]', email);
  await page.fill('input[name=password]', PASSWORD);
  await page.click('button[type=submit]');
  await page.locator('[role=status]', { hasText: 'We have sent a message to' }).waitFor();

  // The link from the email: no referrer, no caching (its token is in the URL); a button, not the page load, uses it.
  const [mail] = await mailsTo(email);
  assert.match(mail?.subject ?? '', /Confirm your email/);
  const link = /https?:\/\/\S+/.exec(mail!.text)![0];
  const linkPage = await page.goto(link);
  assert.equal(linkPage?.headers()['referrer-policy'], 'no-referrer');
  assert.equal(linkPage?.headers()['cache-control'], 'no-store');
  await confirmEmail(page, email);
  await page.waitForURL(/\/signin\?verified=1/);
  await page.locator('[role=status]', { hasText: 'email address is confirmed' }).waitFor();
  await page.goto(link);
  await page.click('button:has-text("Confirm my email address")');
  // A second click on a used link: the address is confirmed, and the page says so (not "invalid").
  await page.locator('[role=status]', { hasText: 'already used: your email address is confirmed' }).waitFor();

  await submitCredentials(page, 'signin', email, PASSWORD);
  await page.waitForURL(`${APP_URL}/account`);
  assert.equal(await page.textContent('[data-testid=account-email]'), email);
  assert.equal(await page.getAttribute('[data-testid=email-status]', 'data-verified'), 'true');
  assert.equal(await page.textContent('[data-testid=account-provider]'), 'Password');
  const expiresAt = Number(await page.getAttribute('[data-testid=access-expiry]', 'data-expires-at'));
  assert.ok(expiresAt > Date.now(), 'the access token expiry is in the future');

  // What the browser can read of the session never includes the refresh token.
  const session = await (await page.request.get(`${APP_URL}/api/auth/session`)).text();
  assert.match(session, new RegExp(email.replace(/[.+]/g, '\\$&')));
  assert.doesNotMatch(session, /rt[12]\.|refreshToken/);

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

test('a sign-up with a used address gets the same answer as a new one, and the owner an email about it', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const email = uniqueEmail('dup');
  const answers = [];
  for (const password of [PASSWORD, 'someone else trying this']) {
    await signUp(page, email, password);
    answers.push(await page.locator('[role=status]').textContent());
  }
  assert.equal(answers[0], answers[1], 'nothing tells whether the address had an account');
  // Each goes out after its answer, so their order is not the test's business.
  const subjects = (await mailsTo(email, 2)).map((mail) => mail.subject);
  assert.equal(subjects.length, 2);
  assert.ok(
    subjects.some((subject) => /tried to create an account/.test(subject)),
    'the owner got a notice',
  );
  assert.ok(
    subjects.some((subject) => /Confirm your email/.test(subject)),
    'and the new account its link',
  );

  // An unverified account may sign in (EMAIL_VERIFICATION=optional); the account page says so and offers a new link.
  await submitCredentials(page, 'signin', email, PASSWORD);
  await page.waitForURL(`${APP_URL}/account`);
  assert.equal(await page.getAttribute('[data-testid=email-status]', 'data-verified'), 'false');
  await page.click('[data-testid=resend-verification] button');
  await page.locator('[data-testid=resend-verification] [role=status]', { hasText: 'new link' }).waitFor();
  assert.equal((await mailsTo(email, 3)).length, 3);
  await confirmEmail(page, email);
  await page.waitForURL(/\/account\?verified=1/);
  assert.equal(await page.getAttribute('[data-testid=email-status]', 'data-verified'), 'true');
  assert.equal(await page.locator('[data-testid=resend-verification]').count(), 0);
  await context.close();
});
