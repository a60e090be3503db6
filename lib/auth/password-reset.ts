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
import { inBackground, type Defer } from '../runtime/deferred';
import { eventSource, type RequestContext, type RotationEngine } from '../tokens/rotation';
import type { SessionDirectory } from '../tokens/sessions';
import { normalizeEmail } from '../users/email';
import type { UserRecord, UserRepository } from '../users/repository';
import { isStandInEmail } from '../users/stand-in-email';
import { EmailLinks, sendOrUnavailable, ttlInWords } from './email-link';
import { AuthError } from './errors';
import { assertNewPassword } from './password-policy';
import { replacePassword } from './password-replacement';

/** The `provider` of an `unverified_account_claimed` event when a link mailed to the address made the claim. */
export const CLAIMED_BY_EMAIL_LINK = 'email';

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
   * Mails a reset link to the account with this email, if any: a password account, one whose email is verified
   * (so someone whose unverified password was removed can set one), or one that a provider created with the
   * address without vouching for it (older accounts; new ones get a stand-in), which the link then claims
   * (see confirm). Stand-in addresses are never mailed. The caller learns nothing either way:
   * the same answer for any address, limited per IP and per address, and everything that depends on the
   * address (the lookup, the link, the mail) is handed to `defer`, so the answer's timing cannot tell either.
   */
  async request(emailInput: string, context: RequestContext = {}, defer: Defer = inBackground): Promise<void> {
    const { mailer } = this.deps;
    if (!mailer) throw new AuthError('service_unavailable', 'Password reset by email is not available here.');
    const email = normalizeEmail(emailInput);
    await this.deps.limits.passwordReset(email, context.ip);
    defer(() => this.mailLink(mailer, email, context));
  }

  /** Looks the address up and mails its account a link; runs after the answer. */
  private async mailLink(mailer: Mailer, email: string, context: RequestContext): Promise<void> {
    const user = await this.deps.users.findByEmail(email);
    if (!user || isStandInEmail(user.email)) {
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

  /** Voids the user's pending reset link: it was mailed to an address the account no longer has (an email change). */
  cancel(userId: string): Promise<void> {
    return this.links.voidFor(userId);
  }

  /** True while a reset link can still be used; uses nothing up, so the page can refuse a dead link before any typing. */
  isLive(token: string): Promise<boolean> {
    return this.links.isLive(token);
  }

  /**
   * Redeems a link: sets the new password and signs out every session; `invalid_reset_token` if unknown, used
   * or expired. An account with neither a password nor a verified email was made by a provider that did not
   * vouch for the address, perhaps by someone else: the mailbox's owner claims it (see claimForMailbox).
   */
  async confirm(token: string, newPassword: string, context: RequestContext = {}): Promise<{ signedOutSessions: number }> {
    const { users } = this.deps;
    const refuse = () =>
      new AuthError('invalid_reset_token', 'This reset link is invalid, already used or expired. Ask for a new one.');
    // Before the link is used up: a refused password leaves it working for a better one.
    assertNewPassword(newPassword);
    const link = await this.links.redeem(token);
    const user = link ? await users.findById(link.userId) : null;
    if (!user) throw refuse();
    const claimed = !user.passwordHash && !user.emailVerified ? await this.claimForMailbox(user, context) : 0;
    const signedOutSessions =
      claimed + (await replacePassword(this.deps, user.id, newPassword, { event: 'password_reset', context }));
    // Only the mailbox's owner could follow the link.
    if (!user.emailVerified) await users.markEmailVerified(user.id, new Date());
    // Proof of the mailbox: earlier mistypes must not lock the owner out of the new password.
    await this.deps.limits.clearSignInFailures(user.email, context.ip);
    logEvent('info', 'auth.password_reset', { userId: user.id, signedOutSessions, ip: context.ip });
    return { signedOutSessions };
  }

  /**
   * The owner of the mailbox takes over an account that a provider's unvouched sign-in made with their address:
   * every session is signed out, the provider accounts that never proved the address are unlinked, the name,
   * image and contact address they brought are dropped, the email is marked verified, and a security event says
   * so (as when a verified provider claims such an account, lib/auth/service.ts). Returns the sessions signed
   * out; if the email was verified meanwhile, that sign-out is all that happens.
   */
  private async claimForMailbox(user: UserRecord, context: RequestContext): Promise<number> {
    const { users, sessions, rotation } = this.deps;
    const signedOutSessions = await sessions.revokeAll(user.id);
    const at = new Date();
    if (!(await users.claimUnverified(user.id, { name: null, image: null, verifiedAt: at }))) return signedOutSessions;
    await rotation.recordSecurityEvent({
      type: 'unverified_account_claimed',
      userId: user.id,
      at: at.toISOString(),
      provider: CLAIMED_BY_EMAIL_LINK,
      signedOutSessions,
      ...eventSource(context),
    });
    logEvent('warn', 'auth.unverified_account_claimed', {
      userId: user.id,
      provider: CLAIMED_BY_EMAIL_LINK,
      signedOutSessions,
      ip: context.ip,
    });
    return signedOutSessions;
  }
}
