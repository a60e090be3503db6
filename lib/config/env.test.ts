/** Configuration: a missing or bad variable is refused with a message that names it. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { freshSecrets, newSecret } from './secrets';
import { ConfigError, parseConfig } from './env';

const valid = async () => ({
  UPSTASH_REDIS_REST_URL: 'http://127.0.0.1:8079',
  UPSTASH_REDIS_REST_TOKEN: 'token',
  DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/authdev',
  ...(await freshSecrets()),
});

const messageOf = (env: Record<string, string | undefined>) => {
  try {
    parseConfig(env);
    return 'accepted';
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.message;
  }
};

test('a complete environment parses, with defaults filled in', async () => {
  const config = parseConfig(await valid());
  assert.equal(config.ACCESS_TOKEN_TTL_SECONDS, 900);
  assert.equal(config.REFRESH_GRACE_SECONDS, 20);
  assert.deepEqual(config.RATE_LIMIT_SIGNIN_PER_IP, { tokens: 30, windowSeconds: 60 });
  assert.equal(config.secureCookies, false);
});

test('every missing required variable is named', async () => {
  const message = messageOf({ ...(await valid()), AUTH_SECRET: undefined, UPSTASH_REDIS_REST_TOKEN: '' });
  assert.match(message, /AUTH_SECRET: is missing/);
  assert.match(message, /UPSTASH_REDIS_REST_TOKEN: is missing/);
});

test('bad values are named with what is wrong', async () => {
  const base = await valid();
  assert.match(messageOf({ ...base, DATABASE_URL: 'mysql://x' }), /DATABASE_URL: must be a postgresql:\/\//);
  assert.match(messageOf({ ...base, ACCESS_TOKEN_SIGNING_KEYS: '{not json' }), /ACCESS_TOKEN_SIGNING_KEYS: must be a JSON array/);
  assert.match(
    messageOf({ ...base, ACCESS_TOKEN_SIGNING_KEYS: '[{"kty":"EC","alg":"ES256","kid":"k"}]' }),
    /ACCESS_TOKEN_SIGNING_KEYS/,
  );
  assert.match(
    messageOf({ ...base, RATE_LIMIT_SIGNIN_PER_IP: 'lots' }),
    /RATE_LIMIT_SIGNIN_PER_IP: must be "<requests>\/<seconds>"/,
  );
  assert.match(messageOf({ ...base, REFRESH_GRACE_SECONDS: '600' }), /REFRESH_GRACE_SECONDS/);
  assert.match(messageOf({ ...base, SESSION_IDLE_TTL_SECONDS: '999999999' }), /SESSION_IDLE_TTL_SECONDS: must not exceed/);
  assert.match(
    messageOf({ ...base, NODE_ENV: 'production', PASSWORD_PBKDF2_ITERATIONS: '1000' }),
    /PASSWORD_PBKDF2_ITERATIONS: must be at least 600000/,
  );
});

test('an https APP_URL turns on secure cookies', async () => {
  assert.equal(parseConfig({ ...(await valid()), APP_URL: 'https://auth.example.com' }).secureCookies, true);
});

test('mail: "outbox" by default outside production, "none" in production, where the outbox is refused', async () => {
  const base = await valid();
  assert.equal(parseConfig(base).MAIL_TRANSPORT, 'outbox');
  assert.equal(parseConfig({ ...base, NODE_ENV: 'production', PASSWORD_PBKDF2_ITERATIONS: '600000' }).MAIL_TRANSPORT, 'none');
  assert.match(
    messageOf({ ...base, NODE_ENV: 'production', PASSWORD_PBKDF2_ITERATIONS: '600000', MAIL_TRANSPORT: 'outbox' }),
    /MAIL_TRANSPORT: "outbox" .* local use only/,
  );
});

test('mail: the webhook transport needs its URL and token, each named when missing', async () => {
  const message = messageOf({ ...(await valid()), MAIL_TRANSPORT: 'webhook' });
  assert.match(message, /MAIL_WEBHOOK_URL: is missing/);
  assert.match(message, /MAIL_WEBHOOK_TOKEN: is missing/);
  assert.match(messageOf({ ...(await valid()), MAIL_TRANSPORT: 'smtp' }), /MAIL_TRANSPORT/);
});

test('email verification: required when mail can be sent, off without mail, and never required with mail off', async () => {
  const base = await valid();
  const production = { ...base, NODE_ENV: 'production', PASSWORD_PBKDF2_ITERATIONS: '600000' };
  assert.equal(parseConfig(base).EMAIL_VERIFICATION, 'required');
  assert.equal(parseConfig(production).EMAIL_VERIFICATION, 'off', 'production mail is off by default: nobody may be locked out');
  assert.equal(parseConfig({ ...base, EMAIL_VERIFICATION: 'optional' }).EMAIL_VERIFICATION, 'optional');
  for (const mode of ['required', 'optional']) {
    const message = messageOf({ ...production, EMAIL_VERIFICATION: mode });
    assert.match(message, /EMAIL_VERIFICATION: .* MAIL_TRANSPORT is "none"/);
  }
  assert.match(messageOf({ ...base, EMAIL_VERIFICATION: 'yes' }), /EMAIL_VERIFICATION/);
});

test('REFRESH_TOKEN_SECRET is a key ring: comma-separated, newest first, each ≥ 32 characters, distinct, at most 4', async () => {
  const base = await valid();
  const [a, b] = ['a'.repeat(32), 'b'.repeat(40)];
  assert.deepEqual(parseConfig({ ...base, REFRESH_TOKEN_SECRET: `${a}, ${b}` }).REFRESH_TOKEN_SECRET, [a, b]);
  assert.deepEqual(parseConfig({ ...base, REFRESH_TOKEN_SECRET: a }).REFRESH_TOKEN_SECRET, [a]);
  assert.match(
    messageOf({ ...base, REFRESH_TOKEN_SECRET: `${a},short` }),
    /REFRESH_TOKEN_SECRET: secret 2 of 2 is too short: each must be at least 32 characters/,
  );
  assert.match(messageOf({ ...base, REFRESH_TOKEN_SECRET: `${a},${a}` }), /REFRESH_TOKEN_SECRET: lists the same secret twice/);
  const five = ['c', 'd', 'e', 'f', 'g'].map((c) => c.repeat(32)).join(',');
  assert.match(messageOf({ ...base, REFRESH_TOKEN_SECRET: five }), /REFRESH_TOKEN_SECRET: must list at most 4 secrets/);
});

test('the replica wait is off by default and bounded', async () => {
  const base = await valid();
  const config = parseConfig(base);
  assert.equal(config.REDIS_WAIT_REPLICAS, 0);
  assert.equal(config.REDIS_WAIT_TIMEOUT_MS, 200);
  assert.match(messageOf({ ...base, REDIS_WAIT_REPLICAS: '-1' }), /REDIS_WAIT_REPLICAS:/);
  assert.match(messageOf({ ...base, REDIS_WAIT_TIMEOUT_MS: '0' }), /REDIS_WAIT_TIMEOUT_MS:/);
  assert.match(
    messageOf({ ...base, REDIS_WAIT_REPLICAS: '1', REDIS_WAIT_TIMEOUT_MS: '2000', REDIS_TIMEOUT_MS: '2000' }),
    /REDIS_WAIT_TIMEOUT_MS: must be less than REDIS_TIMEOUT_MS/,
  );
});

test('AUTH_SECRET and OAUTH_CALLER_SECRET are lists, newest first; one secret is a list of one', async () => {
  const base = await valid();
  const [newer, older] = [newSecret(), newSecret()];
  assert.deepEqual(parseConfig({ ...base, AUTH_SECRET: older }).AUTH_SECRET, [older]);
  const rotating = parseConfig({ ...base, AUTH_SECRET: `${newer},${older}`, OAUTH_CALLER_SECRET: `${newer}, ${older}` });
  assert.deepEqual(rotating.AUTH_SECRET, [newer, older]);
  assert.deepEqual(rotating.OAUTH_CALLER_SECRET, [newer, older], 'spaces after the commas are not part of a secret');
});

test('a rotating secret names the variable and the position of a short one, never the secret itself', async () => {
  const base = await valid();
  const newer = newSecret();
  assert.match(messageOf({ ...base, AUTH_SECRET: 'short' }), /AUTH_SECRET: must be at least 32 characters/);
  const message = messageOf({ ...base, AUTH_SECRET: `${newer},too-short-to-be-a-secret` });
  assert.match(message, /AUTH_SECRET: secret 2 of 2 is too short: each must be at least 32 characters/);
  assert.ok(!message.includes(newer) && !message.includes('too-short-to-be-a-secret'), 'no secret in the message');
  assert.match(messageOf({ ...base, OAUTH_CALLER_SECRET: `${newer},` }), /OAUTH_CALLER_SECRET: secret 2 of 2 is too short/);
  assert.match(messageOf({ ...base, AUTH_SECRET: `${newer},${newer}` }), /AUTH_SECRET: lists the same secret twice/);
});

test("Auth.js's numbered AUTH_SECRET_1.. variables are refused: the list in AUTH_SECRET replaces them", async () => {
  const message = messageOf({ ...(await valid()), AUTH_SECRET_1: newSecret() });
  assert.match(message, /AUTH_SECRET_1: is not read; put older secrets after the newest in AUTH_SECRET/);
});
