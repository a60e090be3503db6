/**
 * @module Support actions on one user (the admin CLI, scripts/admin.ts): show the account, sign it out
 * everywhere, block and unblock it, revoke one session. Every action, showing included, is recorded as a
 * security event the user sees, logged, and counted (`auth.admin_actions`).
 *
 * Blocking keeps a refresh at one EVALSHA and no database query: the `blocked_at` column stops sign-ins (password
 * and OAuth), and every session family is revoked at once, so no refresh token of the user works any more. A sign-in
 * racing the block cannot outlive it (lib/auth/start-session.ts).
 */
import { logEvent } from '../observability/log';
import { telemetry } from '../observability/telemetry';
import { deviceLabel } from '../tokens/device-label';
import type { RotationEngine, SecurityEvent } from '../tokens/rotation';
import type { SessionDirectory } from '../tokens/sessions';
import { normalizeEmail } from '../users/email';
import type { LinkedAccount, UserRecord, UserRepository } from '../users/repository';

/** Why a support action could not be done: shown to the operator as it is, never with a stack trace. */
export class AdminError extends Error {
  override name = 'AdminError';
  constructor(
    readonly code: 'invalid_input' | 'unknown_user' | 'unknown_session',
    message: string,
  ) {
    super(message);
  }
}

/** What support sees of a user. */
export interface UserOverview {
  id: string;
  email: string;
  name: string | null;
  emailVerified: Date | null;
  hasPassword: boolean;
  blockedAt: Date | null;
  createdAt: Date;
  accounts: LinkedAccount[];
  sessions: Array<{
    id: string;
    device: string;
    provider: string;
    ip: string | null;
    createdAt: Date;
    lastUsedAt: Date;
    expiresAt: Date;
  }>;
}

/** What the actions need: the user store, the session directory and the engine (for security events). */
export interface AdminDeps {
  users: UserRepository;
  sessions: SessionDirectory;
  rotation: RotationEngine;
}

const USER_ID = /^[a-z0-9]{20,40}$/;
const SESSION_ID = /^[A-Za-z0-9_-]{22}$/;

/** Support actions over the app's services. */
export class SupportActions {
  constructor(private readonly deps: AdminDeps) {}

  /** Finds a user by email address or user id; an AdminError names what was wrong. */
  async findUser(ref: string): Promise<UserRecord> {
    const input = ref.trim();
    if (input.includes('@')) {
      const user = await this.deps.users.findByEmail(normalizeEmail(input));
      if (!user) throw new AdminError('unknown_user', `No user has the email address ${input}.`);
      return user;
    }
    if (!USER_ID.test(input)) {
      throw new AdminError('invalid_input', `"${input}" is neither an email address nor a user id (like cmabc123...).`);
    }
    const user = await this.deps.users.findById(input);
    if (!user) throw new AdminError('unknown_user', `No user has the id ${input}.`);
    return user;
  }

  /**
   * The account, its linked providers and its active sessions (device and last use), most recent first. Support
   * reading someone's devices and addresses is itself recorded: the user sees that it happened.
   */
  async show(ref: string): Promise<UserOverview> {
    const user = await this.findUser(ref);
    const [accounts, sessions] = await Promise.all([this.deps.users.linkedAccounts(user.id), this.deps.sessions.list(user.id)]);
    await this.record('support_viewed', user.id, 0);
    return {
      id: user.id,
      email: user.email,
      name: user.name,
      emailVerified: user.emailVerified,
      hasPassword: Boolean(user.passwordHash),
      blockedAt: user.blockedAt,
      createdAt: user.createdAt,
      accounts,
      sessions: sessions.map((s) => ({
        id: s.id,
        device: deviceLabel(s.userAgent),
        provider: s.provider,
        ip: s.ip,
        createdAt: new Date(s.createdAt),
        lastUsedAt: new Date(s.lastUsedAt),
        expiresAt: new Date(s.expiresAt),
      })),
    };
  }

  /** Signs the user out on every device; returns how many sessions ended. */
  async signOutEverywhere(ref: string): Promise<{ userId: string; signedOutSessions: number }> {
    const user = await this.findUser(ref);
    const signedOutSessions = await this.deps.sessions.revokeAll(user.id);
    await this.record('support_signed_out', user.id, signedOutSessions);
    return { userId: user.id, signedOutSessions };
  }

  /** Blocks the user: no sign-in from now on, and every session ends at once. Blocking twice keeps the first time. */
  async block(ref: string): Promise<{ userId: string; signedOutSessions: number }> {
    const user = await this.findUser(ref);
    if (!user.blockedAt) await this.deps.users.setBlocked(user.id, new Date());
    // After the block is written: a sign-in racing it either sees the block or has its session swept here
    // (start-session.ts).
    const signedOutSessions = await this.deps.sessions.revokeAll(user.id);
    await this.record('support_blocked', user.id, signedOutSessions);
    return { userId: user.id, signedOutSessions };
  }

  /** Lets a blocked user sign in again (their old sessions stay ended). */
  async unblock(ref: string): Promise<{ userId: string; wasBlocked: boolean }> {
    const user = await this.findUser(ref);
    if (user.blockedAt) await this.deps.users.setBlocked(user.id, null);
    await this.record('support_unblocked', user.id, 0);
    return { userId: user.id, wasBlocked: Boolean(user.blockedAt) };
  }

  /** Revokes one session of the user (its id from `show`). */
  async revokeSession(ref: string, sessionId: string): Promise<{ userId: string }> {
    if (!SESSION_ID.test(sessionId)) {
      throw new AdminError('invalid_input', `"${sessionId}" is not a session id (22 characters, as \`show\` lists them).`);
    }
    const user = await this.findUser(ref);
    const active = (await this.deps.sessions.list(user.id)).some((s) => s.id === sessionId);
    // The caller's own session is the one revoke() refuses; support has none, so no id can match it.
    if (!active || !(await this.deps.sessions.revoke({ userId: user.id, sessionId: '' }, sessionId))) {
      throw new AdminError('unknown_session', `User ${user.id} has no active session ${sessionId}.`);
    }
    await this.deps.rotation.recordSecurityEvent(event('support_session_revoked', user.id, 1, sessionId));
    this.report('support_session_revoked', user.id, 1);
    return { userId: user.id };
  }

  private async record(type: SupportEventType, userId: string, signedOutSessions: number): Promise<void> {
    await this.deps.rotation.recordSecurityEvent(event(type, userId, signedOutSessions));
    this.report(type, userId, signedOutSessions);
  }

  private report(type: SupportEventType, userId: string, signedOutSessions: number): void {
    logEvent('warn', `admin.${type}`, { userId, signedOutSessions });
    telemetry().count('auth.admin_actions', { action: type });
  }
}

type SupportEventType = Extract<SecurityEvent['type'], `support_${string}`>;

function event(type: SupportEventType, userId: string, signedOutSessions: number, familyId?: string): SecurityEvent {
  return { type, userId, at: new Date().toISOString(), signedOutSessions, ...(familyId ? { familyId } : {}) };
}
