/**
 * `npm run admin -- <command>`: support actions on one user, against the deployment that the env files name
 * (the same files as `npm run api`, loaded by @next/env). Each change is recorded as a security event the user
 * sees on their account page. Exit codes: 0 done, 1 bad input or unknown user/session, 2 bad configuration,
 * 3 Redis or the database unavailable. The logic lives in lib/auth/admin.ts.
 */
import nextEnv from '@next/env';
import { AdminError, SupportActions, type UserOverview } from '../lib/auth/admin';
import { isDependencyError } from '../lib/auth/errors';
import { ConfigError, getConfig } from '../lib/config/env';
import { getAppServices } from '../lib/services/app-services';
import { registerNodeTelemetry, type NodeTelemetry } from '../ops/telemetry/node';

const USAGE = `Usage: npm run admin -- <command> <user> [session-id]
  <user> is an email address or a user id.

  show <user>                        account, linked providers, verified email, sessions (device, last use)
  signout-all <user>                 sign the user out on every device
  block <user>                       no sign-in any more, every session ends now
  unblock <user>                     allow sign-in again
  revoke-session <user> <session-id> sign out one device (ids from \`show\`)`;

const COMMANDS = new Set(['show', 'signout-all', 'block', 'unblock', 'revoke-session']);

/** A failure with its exit code and the one line the operator reads. */
class Exit extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

const when = (date: Date | null) => (date ? date.toISOString() : 'never');

/** The overview as lines a person reads. */
function describe(u: UserOverview): string {
  const lines = [
    `user      ${u.id}`,
    `email     ${u.email} (${u.emailVerified ? `verified ${when(u.emailVerified)}` : 'not verified'})`,
    `name      ${u.name ?? '-'}`,
    `password  ${u.hasPassword ? 'set' : 'none (signs in with a provider)'}`,
    `blocked   ${u.blockedAt ? `since ${when(u.blockedAt)}` : 'no'}`,
    `created   ${when(u.createdAt)}`,
    `accounts  ${u.accounts.length === 0 ? '-' : u.accounts.map((a) => `${a.provider} (since ${when(a.createdAt)})`).join(', ')}`,
    `sessions  ${u.sessions.length}`,
  ];
  for (const s of u.sessions) {
    lines.push(
      `  ${s.id}  ${s.device} via ${s.provider}, last used ${when(s.lastUsedAt)}, from ${s.ip ?? '-'}, signed in ${when(s.createdAt)}`,
    );
  }
  return lines.join('\n');
}

/** Runs one command; returns what to print. */
async function run(argv: string[]): Promise<string> {
  const [command, user, session, ...extra] = argv;
  if (!command || command === 'help' || command === '--help') return USAGE;
  if (!COMMANDS.has(command)) throw new Exit(1, `Unknown command "${command}".\n${USAGE}`);
  if (!user) throw new Exit(1, `"${command}" needs a user (email address or user id).\n${USAGE}`);
  if (command === 'revoke-session' ? !session || extra.length > 0 : session !== undefined) {
    throw new Exit(1, `Wrong arguments for "${command}".\n${USAGE}`);
  }
  nextEnv.loadEnvConfig(process.cwd(), process.env.NODE_ENV !== 'production');
  try {
    getConfig();
  } catch (error) {
    if (error instanceof ConfigError) throw new Exit(2, error.message);
    throw error;
  }
  // With an OTLP endpoint configured the action is exported too (auth.admin_actions, its Redis and database
  // spans); never a metrics server, which would outlive nothing in a one-shot CLI.
  otel = await registerNodeTelemetry({ ...process.env, METRICS_PORT: '' });
  const services = await getAppServices();
  const admin = new SupportActions({ users: services.users, sessions: services.sessions, rotation: services.rotation });
  switch (command) {
    case 'show':
      return describe(await admin.show(user));
    case 'signout-all': {
      const { userId, signedOutSessions } = await admin.signOutEverywhere(user);
      return `Signed out ${userId} everywhere: ${signedOutSessions} session(s) ended.`;
    }
    case 'block': {
      const { userId, signedOutSessions } = await admin.block(user);
      return `Blocked ${userId}: no sign-in until unblocked; ${signedOutSessions} session(s) ended.`;
    }
    case 'unblock': {
      const { userId, wasBlocked } = await admin.unblock(user);
      return wasBlocked ? `Unblocked ${userId}: they can sign in again.` : `${userId} was not blocked; nothing changed.`;
    }
    default: {
      const { userId } = await admin.revokeSession(user, session!);
      return `Revoked session ${session} of ${userId}.`;
    }
  }
}

let otel: NodeTelemetry | undefined;

try {
  console.log(await run(process.argv.slice(2)));
  await otel?.shutdown();
  process.exit(0);
} catch (error) {
  await otel?.shutdown().catch(() => undefined);
  if (error instanceof Exit) {
    console.error(error.message);
    process.exit(error.code);
  }
  if (error instanceof AdminError) {
    console.error(error.message);
    process.exit(1);
  }
  if (isDependencyError(error)) {
    console.error(
      `${error.dependency === 'redis' ? 'Redis' : 'The database'} is unavailable (${(error.cause as Error)?.name ?? 'error'}); nothing may have changed, try again.`,
    );
    process.exit(3);
  }
  // Anything else is a bug: its message, not a stack trace (it could carry a connection string, so the kind only).
  console.error(`Unexpected error: ${(error as Error)?.name ?? 'Error'}. Nothing more is printed on purpose; see the API logs.`);
  process.exit(1);
}
