/** Headless Debian Chromium through playwright-core, with the flags this sandbox needs. */
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/** Base URL of the app under test (started by scripts/test/e2e.sh). */
export const APP_URL = process.env.E2E_APP_URL ?? 'http://127.0.0.1:3100';

/** Launches headless Chromium (Debian's /usr/bin/chromium; no browser download). */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** A unique email for one test. */
export const uniqueEmail = (label = 'e2e') => `${label}-${crypto.randomUUID().slice(0, 8)}@example.test`;

/** The user id of the browser-visible NextAuth session of a page's context. */
export async function sessionUserId(page: Page): Promise<string> {
  return ((await (await page.request.get(`${APP_URL}/api/auth/session`)).json()) as { user: { id: string } }).user.id;
}

/** Fills and submits the sign-in or sign-up form with an email and a password. */
export async function submitCredentials(page: Page, form: 'signin' | 'signup', email: string, password: string): Promise<void> {
  await page.goto(`${APP_URL}/${form}`);
  await page.fill('input[name=email]', email);
  await page.fill('input[name=password]', password);
  await page.click('button[type=submit]');
}

/** Signs up or in on a new page of `context` (a browser of its own); resolves on the account page. */
export async function enterAccount(context: BrowserContext, form: 'signin' | 'signup', email: string, password: string): Promise<Page> {
  const page = await context.newPage();
  await submitCredentials(page, form, email, password);
  await page.waitForURL(`${APP_URL}/account`);
  return page;
}
