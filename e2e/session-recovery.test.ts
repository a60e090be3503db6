/**
 * The next-auth failure modes in which the browser never stores the newest refresh token, in headless
 * Chromium. Each is followed by a request after the grace window, which must still be signed in: the
 * rotation engine recovers the lost token (docs/security.md) instead of treating it as theft. The window
 * is waited for by watching the family in Redis, never by guessing a duration.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Redis } from 'ioredis';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { familyKey } from '../lib/redis/keys';
import { APP_URL, enterAccount, launchBrowser, uniqueEmail } from './support/browser';
import { TestProxy } from './support/test-proxy';

const PASSWORD = 'a long enough passphrase';
const GRACE_MS = Number(process.env.REFRESH_GRACE_SECONDS ?? 20) * 1000;
/** The jwt callback refreshes this long before the access token expires (auth.config.ts). */
const REFRESH_MARGIN_MS = Math.min(30_000, (Number(process.env.ACCESS_TOKEN_TTL_SECONDS ?? 900) * 1000) / 3);

let browser: Browser;
let proxy: TestProxy;
let redis: Redis;
before(async () => {
  browser = await launchBrowser();
  proxy = await TestProxy.start(APP_URL);
  redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
});
after(async () => {
  await browser.close();
  await proxy.close();
  redis.disconnect();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Me {
  status: number;
  sessionId?: string;
  accessTokenExpires?: number;
}

/** GET /api/me from inside a page (real browser networking, on that page's origin); `lost` when no answer came. */
const me = (page: Page): Promise<Me | 'lost'> =>
  page.evaluate(async () => {
    try {
      const res = await fetch('/api/me', { cache: 'no-store' });
      const body = (await res.json()) as { sessionId?: string; accessTokenExpires?: number };
      return { status: res.status, sessionId: body.sessionId, accessTokenExpires: body.accessTokenExpires };
    } catch {
      return 'lost' as const;
    }
  });

async function signedIn(page: Page): Promise<Required<Me>> {
  const result = await me(page);
  assert.ok(result !== 'lost' && result.status === 200, `signed in: ${JSON.stringify(result)}`);
  return result as Required<Me>;
}

/** The NextAuth session cookie(s) the browser holds for the app's host (any port). */
async function sessionCookie(context: BrowserContext): Promise<string> {
  const cookies = await context.cookies(APP_URL);
  return cookies
    .filter((c) => c.name.includes('session-token'))
    .map((c) => `${c.name}=${c.value}`)
    .sort()
    .join('; ');
}

/** Waits until the access token is due for a refresh: from then on, the next request rotates. */
const untilRefreshDue = (accessTokenExpires: number) =>
  sleep(Math.max(0, accessTokenExpires - REFRESH_MARGIN_MS - Date.now()) + 250);

const rotations = async (sessionId: string) => Number(await redis.hget(familyKey(sessionId), 'rot'));

/** Waits until Redis's clock is past the grace window of the family's last rotation. */
async function untilGraceWindowPassed(sessionId: string): Promise<void> {
  for (;;) {
    const prevAt = Number(await redis.hget(familyKey(sessionId), 'prevAt'));
    const [seconds, micros] = await redis.time();
    const left = prevAt + GRACE_MS - (Number(seconds) * 1000 + Math.floor(Number(micros) / 1000));
    if (left < 0) return;
    await sleep(Math.min(left + 50, 2_000));
  }
}

/** After the window: the browser, holding a superseded token, is still signed in and nothing was revoked. */
async function stillSignedIn(account: Page, email: string, sessionId: string): Promise<void> {
  await untilGraceWindowPassed(sessionId);
  assert.equal((await signedIn(account)).sessionId, sessionId, 'the same session, recovered');
  await account.goto(`${APP_URL}/account`);
  assert.equal(account.url(), `${APP_URL}/account`, 'not sent to sign in');
  assert.equal(await account.textContent('[data-testid=account-email]'), email);
  assert.equal(await account.locator('[data-testid=security-events]').count(), 0, 'no reuse was reported');
  const family = await redis.hmget(familyKey(sessionId), 'st', 'recN');
  assert.equal(family[0], 'active');
  assert.ok(Number(family[1]) >= 1, 'the server recovered the lost token');
}

/** A new signed-up browser with a second tab on the test proxy, its session and its rotation count so far. */
async function signedUpBehindProxy(label: string) {
  const context = await browser.newContext();
  const email = uniqueEmail(label);
  const account = await enterAccount(context, 'signup', email, PASSWORD);
  const viaProxy = await context.newPage();
  await viaProxy.goto(`${proxy.url}/api/health`);
  const start = await signedIn(viaProxy);
  return { context, email, account, viaProxy, start, rot: await rotations(start.sessionId) };
}

test('two answers arriving in reverse order (a stale Set-Cookie) keep the browser signed in', async () => {
  const { context, email, account, viaProxy, start, rot } = await signedUpBehindProxy('reorder');

  await untilRefreshDue(start.accessTokenExpires);
  const held = proxy.hold('/api/me');
  const late = me(viaProxy); // rotates; its answer is held back
  await held.answered;
  assert.equal(await rotations(start.sessionId), rot + 1);
  const early = await signedIn(viaProxy); // the same old cookie: a replay, and this answer lands first
  await untilRefreshDue(early.accessTokenExpires);
  await signedIn(viaProxy); // rotates once more: the browser now holds the newest token
  assert.equal(await rotations(start.sessionId), rot + 2);
  const newest = await sessionCookie(context);

  held.release();
  assert.equal(((await late) as Me).status, 200);
  assert.notEqual(await sessionCookie(context), newest, 'the late answer overwrote the newest cookie with an older one');
  await stillSignedIn(account, email, start.sessionId);
  await context.close();
});

test('a page outside the middleware whose Server Component refreshes while rendering keeps the browser signed in', async () => {
  const context = await browser.newContext();
  const email = uniqueEmail('rsc');
  const account = await enterAccount(context, 'signup', email, PASSWORD);
  const start = await signedIn(account);
  const rot = await rotations(start.sessionId);

  await untilRefreshDue(start.accessTokenExpires);
  const before = await sessionCookie(context);
  const status = await context.newPage();
  await status.goto(`${APP_URL}/status`);
  assert.equal(await status.textContent('[data-testid=status]'), `Signed in as ${email}`);
  assert.equal(await rotations(start.sessionId), rot + 1, 'rendering the page rotated the refresh token');
  assert.equal(await sessionCookie(context), before, 'but a Server Component cannot write the cookie');
  await stillSignedIn(account, email, start.sessionId);
  await context.close();
});

test('a refresh answer dropped after the server answered keeps the browser signed in', async () => {
  const { context, email, account, viaProxy, start, rot } = await signedUpBehindProxy('dropped');

  await untilRefreshDue(start.accessTokenExpires);
  const before = await sessionCookie(context);
  const dropped = proxy.drop('/api/me');
  assert.equal(await me(viaProxy), 'lost');
  await dropped.answered;
  assert.equal(await rotations(start.sessionId), rot + 1, 'the server rotated');
  assert.equal(await sessionCookie(context), before, 'the browser never got the new cookie');
  await stillSignedIn(account, email, start.sessionId);
  await context.close();
});
