/** One structured JSON line per auth event, and never a token, password or secret in any of them. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { sleep, startTestEnvironment, uniqueEmail, type TestEnvironment } from '../../test/support/environment';
import { mailedToken } from '../../test/support/outbox';

let env: TestEnvironment;
const lines: string[] = [];
const original = { log: console.log, error: console.error, write: process.stdout.write };

before(async () => {
  env = await startTestEnvironment({ REFRESH_GRACE_SECONDS: '0' });
  const capture = (text: string) => lines.push(...text.split('\n').filter(Boolean));
  console.log = (...args: unknown[]) => capture(args.join(' '));
  console.error = (...args: unknown[]) => capture(args.join(' '));
  // Node batches log lines into one stdout write per event-loop turn.
  process.stdout.write = ((chunk: string | Uint8Array) => (capture(String(chunk)), true)) as typeof process.stdout.write;
});
after(async () => {
  Object.assign(console, { log: original.log, error: original.error });
  process.stdout.write = original.write;
  await env.close();
});

test('sign-up, sign-in, refresh, recovery, reuse, sign-out, email verification and email change each log one JSON event without secrets', async () => {
  const email = uniqueEmail('logs');
  const password = 'a secret passphrase 123';
  await env.post('/api/v1/auth/signup', { email, password });
  await env.post('/api/v1/auth/signin', { email, password: 'wrong password!' });
  const session = (await (await env.post('/api/v1/auth/signin', { email, password })).json()) as any;
  const rotated = (await (await env.post('/api/v1/auth/refresh-token', { refresh_token: session.refresh_token })).json()) as any;
  await sleep(20);
  await env.post('/api/v1/auth/refresh-token', { refresh_token: session.refresh_token }); // a lost answer, recovered
  const newest = (await (await env.post('/api/v1/auth/refresh-token', { refresh_token: rotated.refresh_token })).json()) as any;
  await env.post('/api/v1/auth/refresh-token', { refresh_token: session.refresh_token }); // reuse
  const again = (await (await env.post('/api/v1/auth/signin', { email, password })).json()) as any;
  await env.post('/api/v1/auth/signout', { refresh_token: again.refresh_token });
  const link = await verificationLogged();
  const change = await emailChangeLogged(email, password);
  await new Promise((resolve) => setImmediate(resolve));

  const events = lines.map((line) => JSON.parse(line) as { event: string; level: string });
  const names = [
    'auth.signup',
    'auth.signin_failed',
    'auth.signin',
    'auth.refresh',
    'auth.refresh_recovered',
    'auth.token_reuse',
    'auth.signout',
  ];
  for (const name of [
    ...names,
    'auth.signup_existing_email',
    'auth.email_verification_requested',
    'auth.email_verified',
    'auth.email_change_requested',
    'auth.email_changed',
  ]) {
    assert.ok(
      events.some((e) => e.event === name),
      `${name} logged`,
    );
  }
  assert.equal(events.find((e) => e.event === 'auth.token_reuse')?.level, 'warn');
  assert.equal(events.find((e) => e.event === 'auth.refresh_recovered')?.level, 'info', 'a lost answer is not a security event');
  const secrets = [
    password,
    session.refresh_token,
    session.access_token,
    rotated.refresh_token,
    newest.refresh_token,
    again.refresh_token,
    ...env.config.AUTH_SECRET,
    ...env.config.REFRESH_TOKEN_SECRET,
    env.config.UPSTASH_REDIS_REST_TOKEN,
    ...link.secrets,
    ...change.secrets,
  ];
  const all = lines.join('\n');
  for (const secret of secrets) assert.ok(!all.includes(secret), 'no secret in the logs');
  for (const address of change.addresses) assert.ok(!all.includes(address), 'an email change logs ids, not addresses');
});

/** Sign-up twice, resend and redeem a verification link (EMAIL_VERIFICATION=required); the secrets involved. */
async function verificationLogged(): Promise<{ secrets: string[] }> {
  const verifying = await startTestEnvironment({ EMAIL_VERIFICATION: 'required' });
  try {
    const email = uniqueEmail('logs-verify');
    const secrets = ['a secret passphrase 456', 'another passphrase 789'];
    for (const password of secrets) await verifying.post('/api/v1/auth/signup', { email, password });
    await verifying.post('/api/v1/auth/email-verification', { email });
    const token = await mailedToken(verifying.services.redis, email, verifying.config.APP_URL, '/verify-email');
    await verifying.post('/api/v1/auth/email-verification/confirm', { token });
    return { secrets: [...secrets, token] };
  } finally {
    await verifying.close();
  }
}

/** Asks to change the address and uses the link; the secrets involved, and both addresses (personal data). */
async function emailChangeLogged(email: string, password: string): Promise<{ secrets: string[]; addresses: string[] }> {
  const session = (await (await env.post('/api/v1/auth/signin', { email, password })).json()) as any;
  const next = uniqueEmail('logs-moved');
  await env.post('/api/v1/auth/email', { new_email: next, password }, { authorization: `Bearer ${session.access_token}` });
  const token = await mailedToken(env.services.redis, next, env.config.APP_URL, '/change-email');
  await env.post('/api/v1/auth/email/confirm', { token });
  return { secrets: [token, session.access_token, session.refresh_token], addresses: [email, next] };
}
