/**
 * A read replica that lags, as an Upstash Global database serves reads from the nearest replica: a person
 * who has just signed in opens /account at once, while the replica has not seen their session yet. The
 * middleware's session check reads the replica and finds nothing: "not found" is not "revoked", so they stay
 * signed in. Real parts, started here: a redis-server primary and a replica fed by real replication, the
 * bridge in read-replica mode in front of them, and a second `next start` of the same build using it.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { familyKey } from '../lib/redis/keys';
import { freePort } from '../test/support/processes';
import { startRedisPair, type RedisPair } from '../test/support/redis-pair';
import { startBridge, type Bridge } from '../tools/upstash-bridge/server';
import { launchBrowser, mailsTo, uniqueEmail } from './support/browser';

const PASSWORD = 'a long enough passphrase';

let browser: Browser;
let pair: RedisPair;
let bridge: Bridge;
let app: ChildProcess;
let appUrl: string;

before(async () => {
  pair = await startRedisPair();
  const token = crypto.randomUUID();
  bridge = await startBridge({ port: 0, token, redisUrl: pair.primary.url, readReplicaUrl: pair.replica.url });
  const port = await freePort();
  appUrl = `http://127.0.0.1:${port}`;
  // The same build and settings as the suite's app (scripts/test/e2e.sh exports them), on this Redis.
  app = spawn('npx', ['next', 'start', '-p', String(port), '-H', '127.0.0.1'], {
    env: {
      ...process.env,
      APP_URL: appUrl,
      AUTH_URL: appUrl,
      UPSTASH_REDIS_REST_URL: bridge.url,
      UPSTASH_REDIS_REST_TOKEN: token,
    },
    stdio: 'ignore',
    detached: true,
  });
  for (;;) {
    const up = await fetch(`${appUrl}/api/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (up) break;
    if (app.exitCode !== null) throw new Error(`next start exited with ${app.exitCode}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  if (app?.pid) process.kill(-app.pid, 'SIGTERM');
  await bridge?.close();
  await pair?.stop();
});

test('signing in and opening the account at once, while the read replica has not caught up, stays signed in', async () => {
  const email = uniqueEmail('lag');
  const signup = await fetch(`${appUrl}/api/v1/auth/signup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: PASSWORD }),
  });
  assert.equal(signup.status, 202);
  await mailsTo(email); // the account exists once its mail is out
  await pair.synced();

  // From here the replica lags: writes reach the primary only.
  await pair.breakLink();
  try {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${appUrl}/signin`);
    await page.fill('input[name=email]', email);
    await page.fill('input[name=password]', PASSWORD);
    await page.click('button[type=submit]');
    await page.waitForURL(`${appUrl}/account`);
    const sessionId = ((await (await page.request.get(`${appUrl}/api/auth/session`)).json()) as { sessionId: string }).sessionId;
    assert.equal(await pair.replica.admin.exists(familyKey(sessionId)), 0, 'the replica has not seen the session');
    await page.reload();
    assert.equal(new URL(page.url()).pathname, '/account', 'not sent back to sign-in');
    assert.equal(await page.textContent('[data-testid=account-email]'), email);
    await context.close();
  } finally {
    await pair.relink();
  }
});
