/** Headless Debian Chromium through playwright-core, with the flags this sandbox needs. */
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { RelayedMail } from './mail-relay';

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

/**
 * Signs up through the form. Email verification is on in the browser tests (EMAIL_VERIFICATION=optional), so
 * the page answers "check your email" (naming the address) for any address and signs nobody in.
 */
export async function signUp(page: Page, email: string, password: string): Promise<void> {
  const before = (await relayedTo(email)).length;
  await submitCredentials(page, 'signup', email, password);
  await page.locator('[role=status]', { hasText: 'We have sent a message to' }).waitFor();
  // The account is created after the answer (no enumeration by timing), and then mailed (a link, or a notice):
  // the mail says the sign-up is done, so a sign-in right after cannot beat it.
  await mailsTo(email, before + 1);
}

/** Signs up or in on a new page of `context` (a browser of its own); resolves on the account page. */
export async function enterAccount(
  context: BrowserContext,
  form: 'signin' | 'signup',
  email: string,
  password: string,
): Promise<Page> {
  const page = await context.newPage();
  if (form === 'signup') await signUp(page, email, password);
  await submitCredentials(page, 'signin', email, password);
  await page.waitForURL(`${APP_URL}/account`);
  return page;
}

/** The emails the app sent to `to` through the webhook transport (the relay of scripts/test/e2e.sh), newest first. */
async function relayedTo(to: string): Promise<RelayedMail[]> {
  return (await (await fetch(`${process.env.E2E_MAIL_RELAY_URL}/messages?to=${encodeURIComponent(to)}`)).json()) as RelayedMail[];
}

/** How long a mail may take to arrive: the app sends it after its answer (Next.js `after()`), so a page can show "sent" first. */
const MAIL_DEADLINE_MS = 10_000;

/**
 * The emails sent to `to`, newest first, once at least `atLeast` have arrived (or the deadline passed: then
 * whatever is there, for the caller's assertion to name). Mail goes out after the answer, so the page that
 * says "sent" can come first.
 */
export async function mailsTo(to: string, atLeast = 1): Promise<RelayedMail[]> {
  const until = Date.now() + MAIL_DEADLINE_MS;
  for (;;) {
    const mails = await relayedTo(to);
    if (mails.length >= atLeast || Date.now() > until) return mails;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The newest link to `path` (e.g. "/verify-email") mailed to `to`, waiting for it as mailsTo does. */
export async function mailedLink(to: string, path: string): Promise<string> {
  const until = Date.now() + MAIL_DEADLINE_MS;
  do {
    for (const mail of await relayedTo(to)) {
      const link = /https?:\/\/\S+/.exec(mail.text)?.[0];
      if (link && new URL(link).pathname === path) return link;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  } while (Date.now() < until);
  throw new Error(`no mail to ${to} with a link to ${path}`);
}

/** Opens the verification link mailed to `email` and confirms; resolves where the app then sends the page. */
export async function confirmEmail(page: Page, email: string): Promise<void> {
  await page.goto(await mailedLink(email, '/verify-email'));
  await page.click('button:has-text("Confirm my email address")');
  await page.waitForURL((url) => url.pathname !== '/verify-email');
}
