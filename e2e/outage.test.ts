/**
 * Our own outage, as a signed-in person meets it: the REST endpoint in front of Redis stalls (timeouts) or
 * refuses connections (tools/fault-proxy, started by scripts/test/e2e.sh) across an access token's expiry.
 * They see that the service is briefly unavailable and that they are still signed in, never "your session
 * has ended"; the page retries by itself, and once Redis is back the same tab continues without a password.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { APP_URL, enterAccount, launchBrowser, submitCredentials, uniqueEmail } from './support/browser';

const FAULTS = process.env.E2E_REDIS_FAULT_URL ?? 'http://127.0.0.1:18090';
const PASSWORD = 'a long enough passphrase';

let browser: Browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await setFault('pass');
  await browser.close();
});

/** Switches the fault proxy in front of the Redis REST endpoint. */
async function setFault(mode: 'pass' | 'stall' | 'refuse'): Promise<void> {
  const res = await fetch(`${FAULTS}/mode/${mode}`, { method: 'POST' });
  assert.equal(res.status, 204, `fault proxy: ${mode}`);
}

/** When the page's session's access token expires (ms), as the browser-visible session says. */
async function accessTokenExpiry(page: Page): Promise<number> {
  const session = (await (await page.request.get(`${APP_URL}/api/auth/session`)).json()) as { accessTokenExpires: number };
  return session.accessTokenExpires;
}

/** Waits, by the clock, until `at` has passed: the outage must span the access token's expiry. */
async function waitUntil(page: Page, at: number): Promise<void> {
  while (Date.now() <= at) await page.waitForTimeout(Math.min(500, at - Date.now() + 50));
}

for (const mode of ['stall', 'refuse'] as const) {
  test(`Redis ${mode === 'stall' ? 'stops answering' : 'refuses connections'}: a signed-in person is told it is our outage, stays signed in, and the page comes back by itself`, async () => {
    const context = await browser.newContext();
    const email = uniqueEmail(`outage-${mode}`);
    const page = await enterAccount(context, 'signup', email, PASSWORD);
    const expiry = await accessTokenExpiry(page);
    await setFault(mode);
    try {
      await waitUntil(page, expiry);
      const res = await page.goto(`${APP_URL}/account`);
      assert.equal(res?.status(), 503);
      assert.ok(Number(res?.headers()['retry-after']) >= 1, 'Retry-After');
      assert.equal(new URL(page.url()).pathname, '/account', 'not sent to sign-in');
      assert.match((await page.textContent('[data-testid=outage]')) ?? '', /still signed in/);
      assert.doesNotMatch((await page.textContent('body')) ?? '', /session has ended|please sign in/i);

      // A cookie-authenticated API says the same, in JSON.
      const api = await page.request.get(`${APP_URL}/api/me`);
      assert.equal(api.status(), 503);
      assert.equal(((await api.json()) as any).error.code, 'service_unavailable');
      assert.ok(Number(api.headers()['retry-after']) >= 1);
    } finally {
      await setFault('pass');
    }
    // Nobody touches the tab: its own retry brings the account page back, with no password asked.
    await page.waitForSelector('[data-testid=account-email]', { timeout: 60_000 });
    assert.equal(new URL(page.url()).pathname, '/account');
    assert.equal(await page.textContent('[data-testid=account-email]'), email);
    await context.close();
  });
}

test('a sign-in attempted during the outage says the service is unavailable, not that the password is wrong', async () => {
  const context = await browser.newContext();
  const email = uniqueEmail('outage-signin');
  const setup = await enterAccount(context, 'signup', email, PASSWORD);
  await setup.close();
  const other = await browser.newContext();
  const page = await other.newPage();
  await setFault('refuse');
  try {
    await submitCredentials(page, 'signin', email, PASSWORD);
    const alert = page.locator('form [role=alert]').filter({ hasText: /\S/ });
    await alert.waitFor();
    assert.match((await alert.textContent()) ?? '', /problem on our side/);
    assert.doesNotMatch((await alert.textContent()) ?? '', /incorrect/);
  } finally {
    await setFault('pass');
  }
  await submitCredentials(page, 'signin', email, PASSWORD);
  await page.waitForURL(`${APP_URL}/account`);
  await context.close();
  await other.close();
});

test('the account page during an outage, with the access token still valid, says what it cannot show, not an error', async () => {
  const context = await browser.newContext();
  const page = await enterAccount(context, 'signup', uniqueEmail('outage-page'), PASSWORD);
  await setFault('refuse');
  try {
    const res = await page.reload();
    assert.equal(res?.status(), 200);
    assert.match((await page.textContent('[data-testid=outage]')) ?? '', /still signed in/);
  } finally {
    await setFault('pass');
  }
  await page.reload();
  await page.locator('[data-testid=sessions]').waitFor();
  await context.close();
});
