/**
 * TOTP end to end in headless Chromium: enrolment from the account page, computing each code from the shown
 * secret with the library the server uses (otpauth), as an authenticator app would; then signing in with the
 * password and a code, with a recovery code, and a code that was already used being refused; and the code page
 * after an OpenID Connect sign-in.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { totpCode } from '../lib/mfa/totp';
import { accessibilityProblems } from './support/accessibility';
import { APP_URL, enterAccount, launchBrowser, submitCredentials, uniqueEmail } from './support/browser';
import { localContext, signInAtIdp } from './support/idp-signin';

let browser: Browser;
before(async () => {
  browser = await launchBrowser();
});
after(() => browser.close());

const PASSWORD = 'a long enough passphrase';

/** The code an authenticator app shows `steps` periods from now (the current step was spent by enrolment). */
const codeIn = (secret: string, steps: number) => totpCode(secret, Date.now() + steps * 30_000);

async function signOut(page: Page) {
  await page.click('button:has-text("Sign out")');
  await page.waitForURL(/\/signin\?signedOut=1/);
}

async function secondFactor(page: Page, code: string) {
  await page.locator('[data-testid=second-factor-form] input[name=code]').fill(code);
  await page.locator('[data-testid=second-factor-form] button[type=submit]').click();
}

test('TOTP: enrol, then sign in with password and code, or a recovery code; a used code is refused', async () => {
  const email = uniqueEmail('totp');
  const page = await enterAccount(await browser.newContext(), 'signup', email, PASSWORD);

  // The API's edge route serves the same second-factor routes (simplewebauthn, otpauth and qrcode on the edge).
  const { accessToken } = (await (await page.request.get(`${APP_URL}/api/auth/session`)).json()) as { accessToken: string };
  const bearer = { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' };
  const viaEdge = await page.request.post(`${APP_URL}/api/v1/auth/mfa/totp`, { headers: bearer, data: {} });
  assert.equal(viaEdge.status(), 201);
  assert.match(((await viaEdge.json()) as { qr_svg: string }).qr_svg, /^<svg/);
  const options = await page.request.post(`${APP_URL}/api/v1/auth/passkeys/authentication/options`, {
    headers: bearer,
    data: {},
  });
  assert.equal(((await options.json()) as { rpId: string }).rpId, '127.0.0.1');

  await page.click('button:has-text("Set up an authenticator app")');
  const secret = (await page.locator('[data-testid=totp-secret]').textContent())!.trim();
  assert.match(secret, /^[A-Z2-7]{32}$/);
  assert.equal(await page.locator('.qr svg').count(), 1, 'the QR code is an inline SVG');
  // The second-factor pages speak the pages' language, with the same checks (issue 24).
  const problems = await accessibilityProblems(page, 'enrolling an authenticator app');
  await page.locator('[data-testid=totp-confirm] input[name=code]').fill('000000' === totpCode(secret) ? '111111' : '000000');
  await page.locator('[data-testid=totp-confirm] button[type=submit]').click();
  await page.locator('[data-testid=totp-confirm] [role=alert]', { hasText: 'not right' }).waitFor();
  await page.locator('[data-testid=totp-confirm] input[name=code]').fill(totpCode(secret));
  await page.locator('[data-testid=totp-confirm] button[type=submit]').click();
  await page.locator('[data-testid=recovery-codes] code').first().waitFor();
  const codes = await page.locator('[data-testid=recovery-codes] code').allTextContents();
  assert.equal(codes.length, 10);
  problems.push(...(await accessibilityProblems(page, 'the recovery codes')));
  // Neither the secret nor a recovery code reaches the browser-visible session.
  const visible = await (await page.request.get(`${APP_URL}/api/auth/session`)).text();
  assert.ok(!visible.includes(secret) && !codes.some((c) => visible.includes(c)));
  await page.reload();
  assert.equal(await page.getAttribute('[data-testid=totp-status]', 'data-enabled'), 'true');
  await signOut(page);

  // Password, then the code of the next step (the current one was used to enrol).
  const code = codeIn(secret, 1);
  await submitCredentials(page, 'signin', email, PASSWORD);
  await page.waitForURL(/\/signin\/second-factor/);
  problems.push(...(await accessibilityProblems(page, 'the second-factor page')));
  assert.deepEqual(problems, []);
  await secondFactor(page, code);
  await page.waitForURL(`${APP_URL}/account`);
  assert.equal(await page.getAttribute('[data-testid=session-assurance]', 'data-aal'), 'aal2');
  await signOut(page);

  // The same code again: refused. A recovery code instead: accepted.
  await submitCredentials(page, 'signin', email, PASSWORD);
  await page.waitForURL(/\/signin\/second-factor/);
  await secondFactor(page, code);
  await page.locator('[data-testid=second-factor-form] [role=alert]', { hasText: 'already used' }).waitFor();
  await page.click('button:has-text("Use a recovery code instead")');
  await secondFactor(page, codes[0]!);
  await page.waitForURL(`${APP_URL}/account`);
  assert.match((await page.locator('[data-testid=totp-status]').textContent()) ?? '', /9 recovery codes left/);
  assert.match((await page.locator('[data-event=recovery_code_used]').textContent()) ?? '', /9 left/);
  await page.context().close();
});

test('TOTP after an OAuth sign-in: the provider callback leads to the code page, then the account', async () => {
  const email = uniqueEmail('oidc-totp');
  const page = await (await localContext(browser)).newPage();
  await signInAtIdp(page, email);
  await page.waitForURL(`${APP_URL}/account`);
  await page.click('button:has-text("Set up an authenticator app")');
  const secret = (await page.locator('[data-testid=totp-secret]').textContent())!.trim();
  await page.locator('[data-testid=totp-confirm] input[name=code]').fill(totpCode(secret));
  await page.locator('[data-testid=totp-confirm] button[type=submit]').click();
  await page.locator('[data-testid=recovery-codes] code').first().waitFor();
  await signOut(page);

  await signInAtIdp(page, email);
  await page.waitForURL(/\/signin\/second-factor/);
  await secondFactor(page, codeIn(secret, 1));
  await page.waitForURL(`${APP_URL}/account`);
  assert.equal(await page.getAttribute('[data-testid=account-provider]', 'data-provider'), 'oidc');
  assert.equal(await page.getAttribute('[data-testid=session-assurance]', 'data-aal'), 'aal2');
  await page.context().close();
});
