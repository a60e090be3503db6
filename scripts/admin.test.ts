/**
 * The admin CLI (`npm run admin`) as support runs it: a separate process reading its settings from the
 * environment, against the same Redis (through the bridge) and database as a running API, which the test
 * talks to over HTTP. Block → sign-in 403, the refresh token refused, no devices left; unblock → sign-in works;
 * each action (showing included) is a security event the user sees; bad input is one line and a non-zero exit, no stack trace.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { freshSecrets } from '../lib/config/secrets';
import { exchangeOAuthSignIn, type OAuthExchangeBody } from '../nextauth/oauth-exchange';
import { latestValue, startOtlpReceiver, type OtlpReceiver } from '../test/support/otlp-receiver';
import { startTestEnvironment, TEST_DATABASE_URL, uniqueEmail, type TestEnvironment } from '../test/support/environment';
import { runScript, type ScriptResult } from '../test/support/processes';

const PASSWORD = 'correct horse battery staple';
const CLI = fileURLToPath(new URL('./admin.ts', import.meta.url));

let env: TestEnvironment;
let receiver: OtlpReceiver;
let secrets: Record<string, string>;
// No env files there: the CLI sees exactly the variables the test gives it.
const cwd = mkdtempSync(join(tmpdir(), 'admin-cli-'));

before(async () => {
  secrets = await freshSecrets();
  env = await startTestEnvironment(secrets);
  receiver = await startOtlpReceiver();
});

after(async () => {
  await env?.close();
  await receiver?.close();
  rmSync(cwd, { recursive: true, force: true });
});

/** Runs `npm run admin -- ...args` (tsx scripts/admin.ts) against the test's Redis and database. */
function admin(...args: string[]): Promise<ScriptResult> {
  return runScript(
    CLI,
    args,
    {
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      ...secrets,
      UPSTASH_REDIS_REST_URL: env.config.UPSTASH_REDIS_REST_URL,
      UPSTASH_REDIS_REST_TOKEN: env.config.UPSTASH_REDIS_REST_TOKEN,
      DATABASE_URL: TEST_DATABASE_URL,
      EMAIL_VERIFICATION: 'off',
      // The CLI exports its telemetry like the servers do.
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    },
    cwd,
  );
}

const signIn = (email: string) =>
  env.post(
    '/api/v1/auth/signin',
    { email, password: PASSWORD },
    { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0' },
  );

const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

test('block: sign-in 403, the refresh token refused, no devices; unblock: sign-in works; both are security events', async () => {
  const email = uniqueEmail('blocked');
  assert.equal((await env.post('/api/v1/auth/signup', { email, password: PASSWORD })).status, 201);
  const first = (await (await signIn(email)).json()) as Record<string, string>;
  await signIn(email);

  const shown = await admin('show', email);
  assert.equal(shown.code, 0, shown.stderr);
  assert.match(shown.stdout, new RegExp(`user\\s+${first.user_id}`));
  assert.match(shown.stdout, /sessions\s+2/);
  assert.match(shown.stdout, /Firefox 128 on Linux via credentials, last used 20\d\d-/);
  assert.match(shown.stdout, /blocked\s+no/);

  const blocked = await admin('block', email);
  assert.equal(blocked.code, 0, blocked.stderr);
  assert.match(blocked.stdout, /Blocked .*2 session\(s\) ended/);

  const refused = await signIn(email);
  assert.equal(refused.status, 403);
  assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'account_blocked');
  const refresh = await env.refresh(first.refresh_token!);
  assert.equal(refresh.status, 401);
  assert.equal(refresh.body.error.code, 'token_revoked');
  // The access token still verifies, but its session is gone: the device list refuses it.
  assert.equal((await fetch(`${env.baseUrl}/api/v1/auth/sessions`, bearer(first.access_token!))).status, 401);
  const afterBlock = await admin('show', first.user_id!);
  assert.match(afterBlock.stdout, /blocked\s+since 20\d\d-/);
  assert.match(afterBlock.stdout, /sessions\s+0\s*$/);

  const unblocked = await admin('unblock', email);
  assert.equal(unblocked.code, 0, unblocked.stderr);
  const again = await signIn(email);
  assert.equal(again.status, 200);
  const session = (await again.json()) as Record<string, string>;
  const events = (await (await fetch(`${env.baseUrl}/api/v1/auth/security-events`, bearer(session.access_token!))).json()) as {
    events: Array<{ type: string; signed_out_sessions?: number }>;
  };
  // Newest first: every support action, showing the account included, is on the user's record.
  assert.deepEqual(
    events.events.map((e) => e.type),
    ['support_unblocked', 'support_viewed', 'support_blocked', 'support_viewed'],
  );
  assert.equal(events.events[2]!.signed_out_sessions, 2);
  // Each CLI run exported its action before exiting; nothing names the user.
  assert.equal(latestValue(receiver.points, 'auth.admin_actions', { action: 'support_blocked' }) >= 1, true);
  assert.ok(receiver.spans.some((s) => s.attributes['db.system.name'] === 'redis'));
  for (const personal of [email, first.user_id!, first.session_id!]) {
    assert.ok(!receiver.raw.join('\n').includes(personal), 'no personal data in the CLI telemetry');
  }
});

test('a blocked user cannot sign in with a provider either (403 account_blocked through the signed exchange)', async () => {
  const identity: OAuthExchangeBody = {
    provider: 'oidc',
    providerAccountId: crypto.randomUUID(),
    profile: { email: uniqueEmail('oauth-blocked'), emailVerified: true, name: null },
    tokens: { type: 'oidc' },
  };
  const options = { appUrl: env.baseUrl, callerSecret: env.config.OAUTH_CALLER_SECRET };
  const first = await exchangeOAuthSignIn(identity, options);
  assert.ok(first.ok);
  assert.equal((await admin('block', first.session.userId)).code, 0);
  const refused = await exchangeOAuthSignIn(identity, options);
  assert.deepEqual(refused, { ok: false, reason: 'refused', status: 403, code: 'account_blocked' });
  assert.equal((await env.refresh(first.session.refreshToken)).status, 401);
  assert.equal((await admin('unblock', first.session.userId)).code, 0);
  assert.ok((await exchangeOAuthSignIn(identity, options)).ok);
});

test('signout-all and revoke-session end sessions and say how many', async () => {
  const email = uniqueEmail('support');
  assert.equal((await env.post('/api/v1/auth/signup', { email, password: PASSWORD })).status, 201);
  const one = (await (await signIn(email)).json()) as Record<string, string>;
  const two = (await (await signIn(email)).json()) as Record<string, string>;

  const revoked = await admin('revoke-session', email, one.session_id!);
  assert.equal(revoked.code, 0, revoked.stderr);
  assert.equal((await env.refresh(one.refresh_token!)).status, 401);
  assert.equal((await env.refresh(two.refresh_token!)).status, 200, 'the other device stays signed in');

  const all = await admin('signout-all', email);
  assert.equal(all.code, 0, all.stderr);
  assert.match(all.stdout, /1 session\(s\) ended/);
  const gone = await admin('revoke-session', email, two.session_id!);
  assert.equal(gone.code, 1);
  assert.match(gone.stderr, /has no active session/);
});

test('bad input: one clear line and exit code 1, never a stack trace', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['show', 'nobody-here@example.test'], /No user has the email address nobody-here@example\.test/],
    [['block', 'not an id!'], /neither an email address nor a user id/],
    [['show', 'cm00000000000000000000000'], /No user has the id/],
    [['revoke-session', 'someone@example.test', 'short'], /is not a session id/],
    [['explode', 'x'], /Unknown command "explode"/],
    [['block'], /needs a user/],
  ];
  // Side by side: each is a process of its own that only reads.
  const results = await Promise.all(cases.map(([args]) => admin(...args)));
  cases.forEach(([args, message], i) => {
    const result = results[i]!;
    assert.equal(result.code, 1, `${args.join(' ')}: ${result.stdout}${result.stderr}`);
    assert.match(result.stderr, message);
    assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
  });
});
