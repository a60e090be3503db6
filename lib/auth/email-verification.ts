/**
 * @module Email verification of password sign-ups. Sign-up mails a single-use link (lib/auth/email-link.ts:
 * 256-bit token, only its SHA-256 in Redis, valid EMAIL_VERIFICATION_TTL_SECONDS; a newer link voids the
 * older one); using it marks the account's email verified. A sign-up with an address that already has an
 * account mails its owner a notice instead, so the answer to the caller is the same. Knows no HTTP.
 */
import type { Mailer } from '../mail/mailer';
import { logEvent } from '../observability/log';
import { inBackground, type Defer } from '../runtime/deferred';
import type { RateLimits } from '../rate-limit/limits';
import type { Redis } from '../redis/client';
import { emailVerificationKey, usedEmailVerificationKey, userEmailVerificationKey } from '../redis/keys';
import type { RequestContext } from '../tokens/rotation';
import { normalizeEmail } from '../users/email';
import type { UserRecord, UserRepository } from '../users/repository';
import { EmailLinks, sendOrUnavailable, ttlInWords } from './email-link';
import { AuthError } from './errors';

/** What email verification needs. */
export interface EmailVerificationDeps {
  users: UserRepository;
  limits: RateLimits;
  redis: Redis;
  mailer: Mailer;
  appUrl: string;
  ttlSeconds: number;
}

/** Only an unverified password account is verified by link (an OAuth-only account is vouched for by its provider, or not at all). */
const awaitsVerification = (user: UserRecord | null): user is UserRecord => Boolean(user?.passwordHash && !user.emailVerified);

/** Verification links: sent on sign-up and on request, redeemed once. */
export class EmailVerifications {
  private readonly links: EmailLinks;

  constructor(private readonly deps: EmailVerificationDeps) {
    this.links = new EmailLinks(
      deps.redis,
      { byHash: emailVerificationKey, newestOf: userEmailVerificationKey, usedBy: usedEmailVerificationKey },
      deps.ttlSeconds,
    );
  }

  /**
   * After a sign-up: mails the new account its link, or the existing account's owner a notice that someone
   * tried to sign up with their address. Past the per-address limit nothing is mailed, silently, so sign-up
   * cannot be used to flood a mailbox and still answers the same.
   */
  async afterSignUp(user: UserRecord, created: boolean, context: RequestContext): Promise<void> {
    try {
      await this.deps.limits.emailVerification(user.email, context.ip);
    } catch (error) {
      if (error instanceof AuthError && error.code === 'rate_limited') return;
      throw error;
    }
    if (created) return this.sendLink(user);
    await sendOrUnavailable(this.deps.mailer, {
      to: user.email,
      subject: 'Someone tried to create an account with your email',
      text:
        `Someone (perhaps you) tried to create an account with this email address, which already has one.\n\n` +
        `If it was you, sign in: ${this.url('/signin')}\n` +
        `If you do not know its password, choose a new one: ${this.url('/forgot-password')}\n\n` +
        `If it was not you, ignore this email: nothing was changed.\n`,
    });
    logEvent('info', 'auth.signup_existing_email', { userId: user.id, ip: context.ip });
  }

  /**
   * Mails a new link to an unverified password account; the same answer for any address, limited per IP and
   * per address. The lookup and the mail are handed to `defer`, so the answer's timing does not tell either.
   */
  async resend(emailInput: string, context: RequestContext = {}, defer: Defer = inBackground): Promise<void> {
    const email = normalizeEmail(emailInput);
    await this.deps.limits.emailVerification(email, context.ip);
    defer(async () => {
      const user = await this.deps.users.findByEmail(email);
      if (!awaitsVerification(user)) {
        logEvent('info', 'auth.email_verification_requested', { knownUser: false, ip: context.ip });
        return;
      }
      await this.sendLink(user);
      logEvent('info', 'auth.email_verification_requested', { knownUser: true, userId: user.id, ip: context.ip });
    });
  }

  /** Redeems a link: the account's email is verified; `invalid_verification_token` if unknown, used, voided or expired. */
  async confirm(token: string, context: RequestContext = {}): Promise<{ email: string }> {
    const link = await this.links.redeem(token);
    const user = link ? await this.deps.users.findById(link.userId) : null;
    if (!user) {
      throw new AuthError(
        'invalid_verification_token',
        'This confirmation link is invalid, already used or expired. Ask for a new one.',
      );
    }
    if (!user.emailVerified) await this.deps.users.markEmailVerified(user.id, new Date());
    // Proof of the mailbox: earlier mistypes must not lock the owner out.
    await this.deps.limits.clearSignInFailures(user.email, context.ip);
    logEvent('info', 'auth.email_verified', { userId: user.id, ip: context.ip });
    return { email: user.email };
  }

  /**
   * True when this link was already used and its account's email is confirmed: a second click (or a mail
   * scanner's first) should read "already confirmed, sign in", not "invalid".
   */
  async alreadyConfirmedWith(token: string): Promise<boolean> {
    const userId = await this.links.usedBy(token);
    const user = userId ? await this.deps.users.findById(userId) : null;
    return Boolean(user?.emailVerified);
  }

  private async sendLink(user: UserRecord): Promise<void> {
    const token = await this.links.issue(user.id);
    await sendOrUnavailable(this.deps.mailer, {
      to: user.email,
      subject: 'Confirm your email address',
      text:
        `Someone (hopefully you) created an account with this email address.\n\n` +
        `Confirm that it is yours here (the link works once, within ${ttlInWords(this.deps.ttlSeconds)}):\n` +
        `${this.url(`/verify-email?token=${token}`)}\n\n` +
        `If it was not you, ignore this email and do not open the link.\n`,
    });
  }

  private url(path: string): string {
    return new URL(path, this.deps.appUrl).toString();
  }
}
