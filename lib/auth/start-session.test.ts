/**
 * A sign-in racing a support block, on the real API's services (Redis through the bridge, PostgreSQL): whichever
 * way the two interleave, no session of the blocked user is left that refreshes.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestEnvironment, uniqueEmail, type TestEnvironment } from '../../test/support/environment';
import type { UserRecord, UserRepository } from '../users/repository';
import { SupportActions } from './admin';
import { AuthError } from './errors';
import { startSession } from './start-session';

const PASSWORD = 'a long enough passphrase';
let env: TestEnvironment;
let support: SupportActions;
before(async () => {
  env = await startTestEnvironment();
  const { users, sessions, rotation } = env.services;
  support = new SupportActions({ users, sessions, rotation });
});
after(() => env.close());

/** A new user with a password, as a sign-in reads it before checking the password. */
async function newUser(): Promise<UserRecord> {
  const email = uniqueEmail('race');
  assert.equal((await env.post('/api/v1/auth/signup', { email, password: PASSWORD })).status, 201);
  return (await env.services.users.findByEmail(email))!;
}

/** The users repository, with `hook` run once around the first `findById`: before or after its read. */
function usersWith(hook: { before?: () => Promise<unknown>; after?: () => Promise<unknown> }): Pick<UserRepository, 'findById'> {
  let fired = false;
  return {
    async findById(id) {
      const once = !fired;
      fired = true;
      if (once) await hook.before?.();
      const user = await env.services.users.findById(id);
      if (once) await hook.after?.();
      return user;
    },
  };
}

const start = (user: UserRecord, users: Pick<UserRepository, 'findById'>) =>
  startSession(env.services, users, user, { provider: 'credentials' });

const activeSessions = async (user: UserRecord) => (await env.services.sessions.list(user.id)).length;

test('blocked after the password check, before the session starts: refused, and no session is left', async () => {
  const user = await newUser();
  await support.block(user.id);
  await assert.rejects(start(user, env.services.users), (e: AuthError) => e.code === 'account_blocked');
  assert.equal(await activeSessions(user), 0);
});

test('blocked while the session starts, before the second read: refused, and no session is left', async () => {
  const user = await newUser();
  await assert.rejects(
    start(user, usersWith({ before: () => support.block(user.id) })),
    (e: AuthError) => e.code === 'account_blocked',
  );
  assert.equal(await activeSessions(user), 0);
});

test("blocked right after the second read: the block's sweep ends the session it handed out", async () => {
  const user = await newUser();
  const tokens = await start(user, usersWith({ after: () => support.block(user.id) }));
  assert.equal(await activeSessions(user), 0);
  const refreshed = await env.refresh(tokens.refreshToken);
  assert.equal(refreshed.body.error?.code, 'token_revoked');
});

test('deleted while the session starts: refused as gone, and no session is left', async () => {
  const user = await newUser();
  await assert.rejects(
    start(user, usersWith({ before: () => env.services.users.delete(user.id) })),
    (e: AuthError) => e.code === 'invalid_token',
  );
  assert.equal(await activeSessions(user), 0);
});
