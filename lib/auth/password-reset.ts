/**
 * @module Password reset by email. A request mails a single-use link (lib/auth/email-link.ts: 256-bit
 * token, only its SHA-256 in Redis, valid PASSWORD_RESET_TTL_SECONDS; a newer request voids the older
 * link). Using it sets the new password, marks the email verified (the link proves the mailbox) and signs
 * out every session. Knows no HTTP.
 */
import type { Mailer } from '../mail/mailer';
import type { RateLimits } from '../rate-limit/limits';
import type { Redis } from '../redis/client';
import { passwordResetKey, userPasswordResetKey } from '../redis/keys';
import { logEvent } from '../observability/log';
import type { RequestContext, RotationEngine } from '../tokens/rotation';
import type { SessionDirectory } from '../tokens/sessions';
import { normalizeEmail } from '../users/email';
import type { UserRepository } from '../users/repository';
import { EmailLinks, sendOrUnavailable, ttlInWords } from './email-link';
import { AuthError } from './errors';
import { assertNewPassword } from './password-policy';
import { replacePassword } from './password-replacement';

/** What password reset needs. */
export interface PasswordResetDeps {
  users: UserRepository;
  sessions: SessionDirectory;
  rotation: RotationEngine;
  limits: RateLimits;
  redis: Redis;
  /** Null when MAIL_TRANSPORT is "none": password reset is off. */
  mailer: Mailer | null;
  appUrl: string;
  ttlSeconds: number;
  passwordIterations: number;
}

/** Requests and redemptions of reset links. */
export class PasswordResets {
  private readonly links: EmailLinks;

  constructor(private readonly deps: PasswordResetDeps) {
    this.links = new EmailLinks(deps.redis, { byHash: passwordResetKey, newestOf: userPasswordResetKey }, deps.ttlSeconds);
  }

  /**
   * Mails a reset link if a password account, or an account whose email is verified, has this email (so
   * someone whose unverified password was removed can set one). The caller learns nothing either way
   * (the same answer for any address); requests are limited per IP and per address.
   */
  async request(emailInput: string, context: RequestContext = {}): Promise<void> {
    const { mailer, users } = this.deps;
    if (!mailer) throw new AuthError('service_unavailable', 'Password reset by email is not available here.');
    const email = normalizeEmail(emailInput);
    await this.deps.limits.passwordReset(email, context.ip);
    const user = await users.findByEmail(email);
    if (!user || (!user.passwordHash && !user.emailVerified)) {
      logEvent('info', 'auth.password_reset_requested', { knownUser: false, ip: context.ip });
      return;
    }
    const token = await this.links.issue(user.id);
    await sendOrUnavailable(mailer, {
      to: user.email,
      subject: user.passwordHash ? 'Reset your password' : 'Set a password',
      text:
        `Someone (hopefully you) asked to ${user.passwordHash ? 'reset the password of' : 'set a password for'} your account.\n\n` +
        `Choose a new password here (the link works once, within ${ttlInWords(this.deps.ttlSeconds)}):\n` +
        `${new URL(`/reset-password?token=${token}`, this.deps.appUrl)}\n\n` +
        `If it was not you, ignore this email: your account stays as it is.\n`,
    });
    logEvent('info', 'auth.password_reset_requested', { knownUser: true, userId: user.id, ip: context.ip });
  }

  /** True while a reset link can still be used; uses nothing up, so the page can refuse a dead link before any typing. */
  isLive(token: string): Promise<boolean> {
    return this.links.isLive(token);
  }

  /** Redeems a link: sets the new password and signs out every session; `invalid_reset_token` if unknown, used or expired. */
  async confirm(token: string, newPassword: string, context: RequestContext = {}): Promise<{ signedOutSessions: number }> {
    const { users } = this.deps;
    const refuse = () =>
      new AuthError('invalid_reset_token', 'This reset link is invalid, already used or expired. Ask for a new one.');
    // Before the link is used up: a refused password leaves it working for a better one.
    assertNewPassword(newPassword);
    const userId = await this.links.redeem(token);
    const user = userId ? await users.findById(userId) : null;
    if (!user) throw refuse();
    const signedOutSessions = await replacePassword(this.deps, user.id, newPassword, { event: 'password_reset', context });
    // Only the mailbox's owner could follow the link.
    if (!user.emailVerified) await users.markEmailVerified(user.id, new Date());
    // Proof of the mailbox: earlier mistypes must not lock the owner out of the new password.
    await this.deps.limits.clearSignInFailures(user.email, context.ip);
    logEvent('info', 'auth.password_reset', { userId: user.id, signedOutSessions, ip: context.ip });
    return { signedOutSessions };
  }
}
