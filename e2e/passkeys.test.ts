/**
 * Passkeys in headless Chromium with virtual authenticators (DevTools protocol): register one from the
 * account page, sign out, sign in with it from the sign-in page with the button and through autofill,
 * remove it (the account page asks for the passkey first: a fresh second factor), and a second, unregistered
 * authenticator is refused. WebAuthn refuses IP addresses as RP ids, so this file runs its own `next start`
 * of the same build at http://localhost (APP_URL and so the RP id "localhost").
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import type { Browser, BrowserContext, CDPSession, Page } from 'playwright-core';
import { launchBrowser, mailsTo, uniqueEmail } from './support/browser';

const PORT = Number(new URL(process.env.E2E_APP_URL ?? 'http://127.0.0.1:3100').port) + 7;
const ORIGIN = `http://localhost:${PORT}`;
const PASSWORD = 'a long enough passphrase';

let browser: Browser;
let server: ChildProcess;
before(async () => {
  server = spawn('npx', ['next', 'start', '-p', String(PORT), '-H', '127.0.0.1'], {
    env: { ...process.env, APP_URL: ORIGIN, AUTH_URL: ORIGIN },
    stdio: 'ignore',
    detached: true,
  });
  browser = await launchBrowser();
  for (let i = 0; ; i++) {
    const up = await fetch(`http://127.0.0.1:${PORT}/api/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (up) break;
    // A start takes seconds; a loaded CI machine can take many more, so the bound is generous.
    if (i > 1200) throw new Error('the localhost app did not start within 2 minutes');
    await new Promise((r) => setTimeout(r, 100));
  }
});
after(async () => {
  await browser.close();
  if (server.pid) process.kill(-server.pid, 'SIGTERM');
});

/** Adds a virtual platform authenticator (resident keys, user verification) to a page. */
async function virtualAuthenticator(page: Page): Promise<{ cdp: CDPSession; id: string }> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  return { cdp, id: authenticatorId };
}

/**
 * A context whose browser offers no passkey autofill (as browsers without conditional mediation): the page
 * then waits for the button, so a test of the button is not raced by autofill.
 */
async function contextWithoutAutofill(): Promise<BrowserContext> {
  const context = await browser.newContext();
  await context.addInitScript(() => {
    PublicKeyCredential.isConditionalMediationAvailable = async () => false;
  });
  return context;
}

async function signUpAndIn(context: BrowserContext, email: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${ORIGIN}/signup`);
  await page.fill('input[name=email]', email);
  await page.fill('input[name=password]', PASSWORD);
  await page.click('button[type=submit]');
  await page.locator('[role=status]', { hasText: 'We have sent a message to' }).waitFor();
  // The account is created after the answer; its mail says it exists, so the sign-in cannot beat it.
  await mailsTo(email, 1);
  await page.goto(`${ORIGIN}/signin`);
  await page.fill('input[name=email]', email);
  await page.fill('input[name=password]', PASSWORD);
  await page.click('form button[type=submit]');
  await page.waitForURL(`${ORIGIN}/account`);
  return page;
}

test('a passkey: registered, used with the button and through autofill, removed; an unknown one is refused', async () => {
  const email = uniqueEmail('passkey');
  const context = await browser.newContext();
  const page = await signUpAndIn(context, email);
  const laptop = await virtualAuthenticator(page);

  await page.fill('[data-testid=add-passkey] input[name=name]', 'Laptop');
  await page.click('button:has-text("Add a passkey")');
  await page.locator('[data-testid=add-passkey] [role=status]', { hasText: 'Laptop' }).waitFor();
  await page.reload();
  assert.deepEqual(await page.locator('[data-testid=passkey-name]').allTextContents(), ['Laptop']);
  const [credential] = (await laptop.cdp.send('WebAuthn.getCredentials', { authenticatorId: laptop.id })).credentials;
  assert.ok(credential?.isResidentCredential);
  // The same passkey copied onto other virtual devices: each copy starts ahead of the last one's signature
  // counter, or the server would take it for a cloned authenticator (a counter that does not grow).
  let copies = 0;
  const copy = () => ({ ...credential!, signCount: credential!.signCount + 100 * ++copies });
  await page.click('button:has-text("Sign out")');
  await page.waitForURL(/\/signin\?signedOut=1/);
  await context.close();

  // The button, in a browser without passkey autofill (so only the button can sign in).
  const buttonContext = await contextWithoutAutofill();
  const signInPage = await buttonContext.newPage();
  const phone = await virtualAuthenticator(signInPage);
  await phone.cdp.send('WebAuthn.addCredential', { authenticatorId: phone.id, credential: copy() });
  await signInPage.goto(`${ORIGIN}/signin`);
  await signInPage.click('button:has-text("Sign in with a passkey")');
  await signInPage.waitForURL(`${ORIGIN}/account`);
  assert.equal(await signInPage.getAttribute('[data-testid=session-assurance]', 'data-aal'), 'aal2');
  assert.equal(await signInPage.getAttribute('[data-testid=account-provider]', 'data-provider'), 'passkey');
  await buttonContext.close();

  // Autofill: with the passkey already on the device, opening the page is enough (no click).
  const autofillContext = await browser.newContext();
  const autofillPage = await autofillContext.newPage();
  const tablet = await virtualAuthenticator(autofillPage);
  await tablet.cdp.send('WebAuthn.addCredential', { authenticatorId: tablet.id, credential: copy() });
  await autofillPage.goto(`${ORIGIN}/signin`);
  await autofillPage.waitForURL(`${ORIGIN}/account`);
  await autofillContext.close();

  // A second authenticator with a passkey for this site that was never registered: refused by the server.
  const strangerContext = await contextWithoutAutofill();
  const strangerPage = await strangerContext.newPage();
  const stranger = await virtualAuthenticator(strangerPage);
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  await stranger.cdp.send('WebAuthn.addCredential', {
    authenticatorId: stranger.id,
    credential: {
      credentialId: randomBytes(16).toString('base64'),
      isResidentCredential: true,
      rpId: 'localhost',
      privateKey: privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64'),
      userHandle: Buffer.from('nobody').toString('base64'),
      signCount: 0,
    },
  });
  await strangerPage.goto(`${ORIGIN}/signin`);
  await strangerPage.click('button:has-text("Sign in with a passkey")');
  await strangerPage.locator('[data-testid=passkey-sign-in] [role=alert]', { hasText: 'not accepted' }).waitFor();
  assert.match(strangerPage.url(), /\/signin/);
  await strangerContext.close();

  // Removing it from a password session (one factor): the page asks for the passkey first, then removes it.
  const lastContext = await browser.newContext();
  const lastPage = await lastContext.newPage();
  await lastPage.goto(`${ORIGIN}/signin`);
  await lastPage.fill('input[name=email]', email);
  await lastPage.fill('input[name=password]', PASSWORD);
  await lastPage.click('form button[type=submit]');
  await lastPage.waitForURL(`${ORIGIN}/account`);
  assert.equal(await lastPage.getAttribute('[data-testid=session-assurance]', 'data-aal'), 'aal1');
  const again = await virtualAuthenticator(lastPage);
  await again.cdp.send('WebAuthn.addCredential', { authenticatorId: again.id, credential: copy() });
  await lastPage.click('[data-testid=remove-passkey] button:has-text("Remove")');
  await lastPage.locator('[data-testid=step-up]').waitFor();
  await lastPage.click('[data-testid=step-up] button:has-text("Use a passkey")');
  // After the passkey confirmed it is the owner, the removal goes on by itself: the list empties.
  await lastPage.locator('[data-testid=passkeys] li').waitFor({ state: 'detached' });
  await lastPage.reload();
  assert.equal(await lastPage.locator('[data-testid=passkeys] li').count(), 0);
  assert.ok(await lastPage.locator('[data-event=passkey_removed]').count());
  await lastContext.close();
});
