/**
 * Password reset by email over HTTP, on real Redis and PostgreSQL: the link arrives (local outbox, or a
 * real HTTP relay for the webhook transport), works once, signs out every session and says nothing about
 * which addresses have accounts.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { startTestEnvironment, uniqueEmail, type TestEnvironment } from '../../test/support/environment';
import { mailedToken, outbox as outboxOf } from '../../test/support/outbox';
import { settled } from '../../lib/runtime/deferred';

let env: TestEnvironment;
before(async () => {
  env = await startTestEnvironment();
});
after(() => env.close());

const OLD = 'correct horse battery';
const NEW = 'staple rocket tuesday';

const post = async (target: TestEnvironment, path: string, body: unknown) => {
  const res = await target.post(path, body);
  return { status: res.status, body: (await res.json()) as Record<string, any> };
};
const requestReset = (email: string, target = env) => post(target, '/api/v1/auth/password-reset', { email });
const confirm = (token: string, newPassword = NEW) =>
  post(env, '/api/v1/auth/password-reset/confirm', { token, new_password: newPassword });

const outbox = (to: string) => outboxOf(env.services.redis, to);
/** The token of the newest reset link mailed to `to`. */
const linkToken = (to: string) => mailedToken(env.services.redis, to, env.config.APP_URL, '/reset-password');

async function userWithSessions(count: number) {
  const email = uniqueEmail('reset');
  assert.equal((await env.post('/api/v1/auth/signup', { email, password: OLD })).status, 201);
  const sessions = [];
  for (let i = 0; i < count; i++) sessions.push((await post(env, '/api/v1/auth/signin', { email, password: OLD })).body);
  return { email, sessions };
}

describe('password reset', () => {
  test('the mailed link sets a new password once and signs out every session', async () => {
    const { email, sessions } = await userWithSessions(2);
    const requested = await requestReset(email);
    assert.equal(requested.status, 202);
    const token = await linkToken(email);

    const done = await confirm(token);
    assert.equal(done.status, 200);
    assert.deepEqual(done.body, { signed_out_sessions: 2 });
    for (const s of sessions) assert.equal((await env.refresh(s.refresh_token)).body.error.code, 'token_revoked');
    assert.equal((await post(env, '/api/v1/auth/signin', { email, password: OLD })).status, 401);
    const signedIn = await post(env, '/api/v1/auth/signin', { email, password: NEW });
    assert.equal(signedIn.status, 200);

    const again = await confirm(token, 'yet another passphrase');
    assert.equal(again.status, 400);
    assert.equal(again.body.error.code, 'invalid_reset_token');
    const events = await env.services.rotation.securityEvents(signedIn.body.user_id);
    assert.equal(events[0]?.type, 'password_reset');
  });

  test('a newer request voids the older link', async () => {
    const { email } = await userWithSessions(0);
    await requestReset(email);
    const first = await linkToken(email);
    await requestReset(email);
    const second = await linkToken(email);
    assert.notEqual(first, second);
    assert.equal((await confirm(first)).body.error.code, 'invalid_reset_token');
    assert.equal((await confirm(second)).status, 200);
  });

  test('an unknown address gets the very same answer, and no mail is sent', async () => {
    const { email } = await userWithSessions(0);
    const ghost = uniqueEmail('ghost');
    const known = await requestReset(email);
    const unknown = await requestReset(ghost);
    assert.deepEqual([unknown.status, unknown.body], [known.status, known.body]);
    assert.equal((await outbox(ghost)).length, 0);
  });

  test('requests for one address are limited', async () => {
    const { email } = await userWithSessions(0);
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await requestReset(email)).status);
    assert.deepEqual(statuses, [202, 202, 202, 429], 'RATE_LIMIT_PASSWORD_RESET_PER_ACCOUNT defaults to 3/3600');
  });

  test('bad input gets a clear 4xx', async () => {
    assert.equal((await requestReset('not an email')).status, 400);
    assert.equal((await confirm('x'.repeat(43))).body.error.code, 'invalid_reset_token');
    assert.equal((await confirm('short')).body.error.code, 'invalid_reset_token');
    const weak = await confirm('y'.repeat(43), 'short');
    assert.equal(weak.status, 400);
    assert.match(weak.body.error.message, /new_password: password must be at least 8/);
  });

  test('a common password is refused before the link is used up, so the link still works for a better one', async () => {
    const { email } = await userWithSessions(0);
    assert.equal((await requestReset(email)).status, 202);
    const token = await linkToken(email);
    assert.equal(await env.services.passwordResets.isLive(token), true, 'checking a link does not use it up');
    assert.equal(await env.services.passwordResets.isLive(token), true);
    const refused = await confirm(token, 'iloveyou');
    assert.deepEqual([refused.status, refused.body.error.code], [400, 'weak_password']);
    assert.equal((await confirm(token, 'a brand new passphrase')).status, 200);
    assert.equal(await env.services.passwordResets.isLive(token), false);
    assert.equal(await env.services.passwordResets.isLive('not a token'), false);
  });
});

describe('mail transports', () => {
  test('MAIL_TRANSPORT=none: password reset answers 503', async () => {
    const off = await startTestEnvironment({ MAIL_TRANSPORT: 'none' });
    try {
      const res = await requestReset(uniqueEmail(), off);
      assert.equal(res.status, 503);
      assert.equal(res.body.error.code, 'service_unavailable');
    } finally {
      await off.close();
    }
  });

  test('MAIL_TRANSPORT=webhook: the relay gets the mail with its token; a failing relay changes no answer', async () => {
    const received: Array<{ authorization?: string; body: Record<string, string> }> = [];
    let answer = 200;
    const relay = createServer((req: IncomingMessage, res) => {
      let text = '';
      req.on('data', (d: Buffer) => (text += d));
      req.on('end', () => {
        received.push({ authorization: req.headers.authorization, body: JSON.parse(text) as Record<string, string> });
        res.writeHead(answer).end();
      });
    });
    await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
    const token = 'relay-token-0123456789';
    const hooked = await startTestEnvironment({
      MAIL_TRANSPORT: 'webhook',
      MAIL_WEBHOOK_URL: `http://127.0.0.1:${(relay.address() as AddressInfo).port}/send`,
      MAIL_WEBHOOK_TOKEN: token,
      MAIL_FROM: 'Auth <auth@example.test>',
    });
    try {
      const email = uniqueEmail('relay');
      assert.equal((await hooked.post('/api/v1/auth/signup', { email, password: OLD })).status, 201);
      assert.equal((await requestReset(email, hooked)).status, 202);
      assert.equal(received.length, 1);
      assert.equal(received[0]!.authorization, `Bearer ${token}`);
      assert.equal(received[0]!.body.to, email);
      assert.equal(received[0]!.body.from, 'Auth <auth@example.test>');
      assert.match(received[0]!.body.text ?? '', /\/reset-password\?token=[A-Za-z0-9_-]{43}/);

      // The mail goes out after the answer, which therefore cannot depend on it: a 503 for a failing relay
      // would tell that the address has an account (an unknown one is never mailed). The failure is logged.
      answer = 500;
      const failed = await requestReset(email, hooked);
      assert.equal(failed.status, 202);
      assert.equal(received.length, 2, 'the relay was called, and failed');
      assert.deepEqual(failed.body, (await requestReset(uniqueEmail('nobody'), hooked)).body, 'the same answer as for nobody');
    } finally {
      await hooked.close();
      relay.close();
    }
  });
});

describe('no account enumeration: the answer never waits for the mail', () => {
  // The timeout only turns a regression (an answer waiting for the held mail) into a failure instead of a hang.
  test(
    'sign-up (used and new address) and reset (known and unknown) all answer while the relay holds every mail',
    { timeout: 60_000 },
    async () => {
      // A relay that holds each mail until told to let mail through: an answer that waited for one would never come.
      let open = false;
      const held: Array<() => void> = [];
      const received: string[] = [];
      const relay = createServer((req: IncomingMessage, res) => {
        let text = '';
        req.on('data', (d: Buffer) => (text += d));
        req.on('end', () => {
          received.push((JSON.parse(text) as { to: string }).to);
          const answer = () => void res.writeHead(200).end();
          if (open) answer();
          else held.push(answer);
        });
      });
      await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
      const mailing = await startTestEnvironment({
        EMAIL_VERIFICATION: 'required',
        MAIL_TRANSPORT: 'webhook',
        MAIL_WEBHOOK_URL: `http://127.0.0.1:${(relay.address() as AddressInfo).port}/send`,
        MAIL_WEBHOOK_TOKEN: 'relay-token-0123456789',
      });
      // Raw requests: the environment's post() waits for the deferred mail, which the relay holds.
      const send = async (path: string, body: unknown) => {
        const res = await fetch(mailing.baseUrl + path, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
        return [res.status, await res.text()] as const;
      };
      try {
        const used = uniqueEmail('used');
        const fresh = uniqueEmail('new');
        const nobody = uniqueEmail('nobody');
        const answers = {
          first: await send('/api/v1/auth/signup', { email: used, password: OLD }),
          used: await send('/api/v1/auth/signup', { email: used, password: NEW }),
          fresh: await send('/api/v1/auth/signup', { email: fresh, password: NEW }),
          known: await send('/api/v1/auth/password-reset', { email: used }),
          unknown: await send('/api/v1/auth/password-reset', { email: nobody }),
        };
        assert.deepEqual(
          Object.values(answers).map(([status]) => status),
          [202, 202, 202, 202, 202],
        );
        assert.equal(answers.used[1], answers.fresh[1], 'sign-up: the same body for a used and a new address');
        assert.equal(answers.known[1], answers.unknown[1], 'reset: the same body for a known and an unknown address');

        // Then the mail goes out: the link, the notice and the reset link to the used address, a link to the new one.
        open = true;
        held.splice(0).forEach((answer) => answer());
        await settled();
        assert.deepEqual(
          [used, fresh, nobody].map((to) => received.filter((r) => r === to).length),
          [3, 1, 0],
        );
      } finally {
        open = true;
        held.splice(0).forEach((answer) => answer());
        await mailing.close();
        relay.close();
      }
    },
  );
});
