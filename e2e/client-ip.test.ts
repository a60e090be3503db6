/**
 * The Next.js side learns the client's IP the way the API does: behind an appending reverse proxy (as
 * `next start` behind nginx, CLIENT_IP_SOURCE=proxy), a browser that writes its own X-Forwarded-For signs
 * up and in (NextAuth's credentials sign-in, the pages' server actions) under the address the proxy saw.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { startForwardingProxy, type ForwardingProxy } from '../test/support/forwarding-proxy';
import { APP_URL, launchBrowser, uniqueEmail } from './support/browser';

let browser: Browser;
let proxy: ForwardingProxy;
before(async () => {
  browser = await launchBrowser();
  proxy = await startForwardingProxy(APP_URL);
});
after(async () => {
  await browser.close();
  await proxy.close();
});

const FORGED = '203.0.113.77';

test('a browser that forges X-Forwarded-For is recorded under the address the proxy saw', async () => {
  const context = await browser.newContext({ extraHTTPHeaders: { 'x-forwarded-for': FORGED } });
  const page = await context.newPage();
  const email = uniqueEmail('xff');
  for (const form of ['signup', 'signin'] as const) {
    await page.goto(`${proxy.url}/${form}`);
    await page.fill('input[name=email]', email);
    await page.fill('input[name=password]', 'a long enough passphrase');
    await page.click('button[type=submit]');
    if (form === 'signup') await page.locator('[role=status]', { hasText: 'We have sent a message to' }).waitFor();
  }
  await page.waitForURL(`${APP_URL}/account`);
  const devices = await page.locator('[data-testid=sessions]').textContent();
  assert.ok(devices?.includes('127.0.0.1'), `the proxy's peer is listed: ${devices}`);
  assert.ok(!devices?.includes(FORGED), 'the forged address is not');
  await context.close();
});
