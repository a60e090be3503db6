/**
 * @module Changing an account's email address (docs/security.md, "Email change"). AuthService checks who asks
 * (step-up, password or a recent sign-in) and hands the rest here, after the answer: the new address gets a
 * single-use link (lib/auth/email-link.ts, carrying the user, the new address and the asking session; a newer
 * request voids the older link), or, if it already has an account, its owner a notice; the current address a
 * notice naming the new one only masked. Using the link sets the address, verified. Knows no HTTP.
 */
import type { Mailer } from '../mail/mailer';
import { logEvent } from '../observability/log';
import type { RateLimits } from '../rate-limit/limits';
import type { Redis } from '../redis/client';
import { emailChangeKey, userEmailChangeKey } from '../redis/keys';
import { eventSource, type RequestContext, type RotationEngine } from '../tokens/rotation';
import type { SessionDirectory } from '../tokens/sessions';
import { maskEmail } from '../users/email';
import type { UserRecord, UserRepository } from '../users/repository';
import { isStandInEmail } from '../users/stand-in-email';
import { EmailLinks, sendOrUnavailable, ttlInWords } from './email-link';
import { AuthError } from './errors';
import { accountBlocked } from './start-session';

/** What email change needs. */
export interface EmailChangeDeps {
  users: UserRepository;
  sessions: SessionDirectory;
  rotation: RotationEngine;
  limits: RateLimits;
  redis: Redis;
  mailer: Mailer;
  appUrl: string;
  /** EMAIL_VERIFICATION_TTL_SECONDS: the link proves a mailbox, as a verification link does. */
  ttlSeconds: number;
  /** A reset link mailed to the old address must not outlive the change. */
  resets: { cancel(userId: string): Promise<void> };
}

const invalidLink = (message = 'This link is invalid, already used, expired or replaced by a newer one. Ask again.') =>
  new AuthError('invalid_email_change_token', message);

/** Email-change links: mailed after a request, redeemed once. */
export class EmailChanges {
  private readonly links: EmailLinks;

  constructor(private readonly deps: EmailChangeDeps) {
    this.links = new EmailLinks(deps.redis, { byHash: emailChangeKey, newestOf: userEmailChangeKey }, deps.ttlSeconds);
  }

  /**
   * After an accepted request (runs after the answer): the new address gets the link, or its owner a notice if
   * it already has an account; the current address gets the same notice either way, so not even the requester's
   * own mailbox tells whether the new address is taken. Past the per-address limit of confirmation mail
   * (RATE_LIMIT_EMAIL_VERIFICATION_PER_ACCOUNT), the new address gets nothing, silently.
   */
  async afterRequest(user: UserRecord, newEmail: string, sessionId: string, context: RequestContext): Promise<void> {
    // Both mails go out even if one fails; a failure is logged by the deferred runner.
    await Promise.all([this.mailNewAddress(user, newEmail, sessionId, context), this.noticeRequested(user, newEmail)]);
  }

  private async mailNewAddress(user: UserRecord, newEmail: string, sessionId: string, context: RequestContext) {
    try {
      await this.deps.limits.emailVerification(newEmail, context.ip);
    } catch (error) {
      if (error instanceof AuthError && error.code === 'rate_limited') return;
      throw error;
    }
    const owner = await this.deps.users.findByEmail(newEmail);
    if (owner) {
      await sendOrUnavailable(this.deps.mailer, {
        to: owner.email,
        subject: 'Someone tried to use your email address',
        text:
          `Someone (perhaps you) asked to move another account to this email address, which already has an account ` +
          `here. Nothing was changed: an address belongs to one account.\n\n` +
          `If it was you, this address's account is the one to sign in to: ${this.url('/signin')}\n\n` +
          `If it was not you, ignore this email.\n`,
      });
      logEvent('info', 'auth.email_change_address_taken', { userId: user.id, ownerId: owner.id, ip: context.ip });
      return;
    }
    const token = await this.links.issue(user.id, { email: newEmail, sessionId });
    await sendOrUnavailable(this.deps.mailer, {
      to: newEmail,
      subject: 'Confirm your new email address',
      text:
        `Someone (hopefully you) asked to change the email address of their account to this one.\n\n` +
        `Confirm the change here (the link works once, within ${ttlInWords(this.deps.ttlSeconds)}):\n` +
        `${this.url(`/change-email?token=${token}`)}\n\n` +
        `Until then the account keeps its current address. If it was not you, ignore this email and do not open the link.\n`,
    });
  }

  /** Tells the current address about a request; the new address only masked, as this mailbox may no longer be the owner's. */
  private async noticeRequested(user: UserRecord, newEmail: string) {
    if (isStandInEmail(user.email)) return;
    await sendOrUnavailable(this.deps.mailer, {
      to: user.email,
      subject: 'A change of your email address was requested',
      text:
        `Someone asked to change your account's email address to ${maskEmail(newEmail)}. Nothing changes until the ` +
        `link we sent to that address is opened.\n\n` +
        `If this wasn't you, someone knows your password: reset it now, which signs out every device and cancels ` +
        `the change: ${this.url('/forgot-password')}\n`,
    });
  }

  /** True while a link can still be used; uses nothing up, so the page can say at once that a link is dead. */
  isLive(token: string): Promise<boolean> {
    return this.links.isLive(token);
  }

  /**
   * Redeems a link: the account takes the new address, verified; every session but the one that asked is signed
   * out (as a password change does), a pending reset link (mailed to the old address) is voided, an `email_changed`
   * security event is recorded and the old address is told. `invalid_email_change_token` if the link is unknown,
   * used, voided or expired, or the session that asked has been signed out since (signing out other devices, a
   * password reset or change: how an owner who did not ask cancels it); `email_taken` if another account took the
   * address meanwhile (the link is used up all the same).
   */
  async confirm(token: string, context: RequestContext = {}): Promise<{ email: string }> {
    const { users, sessions } = this.deps;
    const link = await this.links.redeem(token);
    const { email, sessionId } = link?.data ?? {};
    const user = link && email && sessionId ? await users.findById(link.userId) : null;
    if (!user || !email || !sessionId) throw invalidLink();
    if (!(await sessions.list(user.id)).some((s) => s.id === sessionId)) {
      throw invalidLink('This link no longer works: the device that asked for the change has been signed out since. Ask again.');
    }
    if (user.blockedAt) throw accountBlocked();
    if (!(await users.changeEmail(user.id, email, new Date()))) throw invalidLink();
    // After the change, so a failed one (email_taken) signs nobody out.
    const signedOutSessions = await sessions.revokeAll(user.id, sessionId);
    await this.deps.resets.cancel(user.id);
    await this.deps.rotation.recordSecurityEvent({
      type: 'email_changed',
      userId: user.id,
      at: new Date().toISOString(),
      signedOutSessions,
      ...eventSource(context),
    });
    logEvent('info', 'auth.email_changed', { userId: user.id, signedOutSessions, ip: context.ip });
    if (!isStandInEmail(user.email)) {
      // Best effort: the change is done, and a relay that fails must not turn it into an error.
      await this.deps.mailer
        .send({
          to: user.email,
          subject: 'Your email address was changed',
          text:
            `Your account's email address was changed to ${maskEmail(email)}: this address no longer signs in to it.\n\n` +
            `If this wasn't you, someone else controls your account: contact our support right away and forward them this email.\n`,
        })
        .catch((error: unknown) => logEvent('warn', 'mail_failed', { kind: 'email_changed', error: (error as Error).name }));
    }
    return { email };
  }

  private url(path: string): string {
    return new URL(path, this.deps.appUrl).toString();
  }
}
