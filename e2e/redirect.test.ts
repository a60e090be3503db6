/**
 * No open redirect after a genuine sign-in (issue 21, item 1): for every class of callbackUrl payload, a
 * person who signs in with the right password ends on a page of this app, and the browser never requests
 * another host. NextAuth's own callback endpoint, which takes a callbackUrl the app's pages never saw,
 * stays on this origin too.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser, Request } from 'playwright-core';
import { APP_URL, launchBrowser, signUp, uniqueEmail } from './support/browser';

const PASSWORD = 'a long enough passphrase';
const APP = new URL(APP_URL);

let browser: Browser;
let email: string;
before(async () => {
  browser = await launchBrowser();
  email = uniqueEmail('redirect');
  const context = await browser.newContext();
  await signUp(await context.newPage(), email, PASSWORD);
  await context.close();
});
after(() => browser.close());

/**
 * One payload of each class the review named (lib/auth/safe-redirect.test.ts holds the whole table, and the
 * test below hands NextAuth's callback more): what follows `callbackUrl=` in the link a phishing mail would
 * carry, written as in the link (the page receives it percent-decoded once), and the page the sign-in must end on.
 */
const PAYLOADS: Array<{ name: string; query: string; lands?: string }> = [
  { name: 'tab, as reported', query: '/%09/evil.example' },
  { name: 'newline', query: '/%0A/evil.example' },
  { name: 'dot segment', query: '/.//evil.example' },
  { name: 'dot-dot segment', query: '/account/..//evil.example' },
  { name: 'backslash', query: '/%5Cevil.example' },
  { name: 'encoded slashes', query: '/%252F%252Fevil.example' },
  { name: 'absolute URL to another host', query: encodeURIComponent('http://evil.example/account') },
  { name: 'protocol-relative', query: '//evil.example' },
  // Kept: an honest destination with a query.
  { name: 'an honest destination', query: '/account?from=mail', lands: '/account?from=mail' },
];

for (const { name, query, lands = '/account' } of PAYLOADS) {
  test(`sign-in with a callbackUrl of class "${name}" stays on the app`, async () => {
    const context = await browser.newContext();
    const requested: string[] = [];
    const foreign: string[] = [];
    context.on('request', (request: Request) => {
      requested.push(request.url());
      if (URL.parse(request.url())?.origin !== APP.origin) foreign.push(request.url());
    });
    // Another host is never contacted, even if the app sent the browser there: the request is recorded, then aborted.
    await context.route(
      (url) => url.origin !== APP.origin,
      (route) => route.abort('blockedbyclient'),
    );
    const page = await context.newPage();
    await page.goto(`${APP_URL}/signin?callbackUrl=${query}`);
    await page.fill('input[name=email]', email);
    await page.fill('input[name=password]', PASSWORD);
    await page.click('button[type=submit]');
    // Wait until the sign-in has led somewhere other than the sign-in page. A navigation to another host fails
    // here (its request was aborted); the assertion below then names the host.
    await page
      .waitForURL((url) => url.pathname !== '/signin' || url.origin !== APP.origin)
      .catch((error: unknown) => {
        if (foreign.length === 0) throw error;
      });
    if (foreign.length === 0) await page.waitForLoadState('load');

    assert.deepEqual(foreign, [], 'the browser requested another host');
    const final = new URL(page.url());
    assert.equal(final.origin, APP.origin, 'the sign-in ended on this app');
    assert.equal(final.pathname + final.search, lands);
    assert.ok(requested.length > 0);
    if (lands.startsWith('/account')) assert.equal(await page.textContent('[data-testid=account-email]'), email);
    await context.close();
  });
}

test("NextAuth's credentials callback, given a payload directly, redirects only within this origin", async () => {
  const context = await browser.newContext();
  const values = [
    '/\t/evil.example',
    '/%09/evil.example',
    '/.//evil.example',
    '/account/..//evil.example',
    '/\\evil.example',
    '/%2F%2Fevil.example',
    '/%5Cevil.example',
    '//evil.example',
    'http://evil.example/',
    'javascript:alert(1)',
  ];
  for (const callbackUrl of values) {
    const { csrfToken } = (await (await context.request.get(`${APP_URL}/api/auth/csrf`)).json()) as { csrfToken: string };
    const res = await context.request.post(`${APP_URL}/api/auth/callback/credentials`, {
      form: { csrfToken, email, password: PASSWORD, callbackUrl },
      maxRedirects: 0,
    });
    assert.equal(res.status(), 302, JSON.stringify(callbackUrl));
    const location = new URL(res.headers()['location'] ?? '', APP_URL);
    assert.equal(location.origin, APP.origin, `${JSON.stringify(callbackUrl)} → ${location.href}`);
    assert.equal(location.pathname, '/', `${JSON.stringify(callbackUrl)} falls back to the home page`);
  }
  // And an honest one is kept.
  const { csrfToken } = (await (await context.request.get(`${APP_URL}/api/auth/csrf`)).json()) as { csrfToken: string };
  const res = await context.request.post(`${APP_URL}/api/auth/callback/credentials`, {
    form: { csrfToken, email, password: PASSWORD, callbackUrl: '/account?from=mail' },
    maxRedirects: 0,
  });
  assert.equal(res.headers()['location'], `${APP.origin}/account?from=mail`);
  await context.close();
});
