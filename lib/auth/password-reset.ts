/**
 * @module Password reset by email. A request mails a single-use link (256-bit token, only its SHA-256
 * in Redis, valid PASSWORD_RESET_TTL_SECONDS; a newer request voids the older link). Using it sets the
 * new password and signs out every session. Knows no HTTP.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import type { MailMessage, Mailer } from '../mail/mailer';
import type { RateLimits } from '../rate-limit/limits';
import type { Redis } from '../redis/client';
import { passwordResetKey, userPasswordResetKey } from '../redis/keys';
import { randomBytes, toBase64Url } from '../encoding/base64url';
import { logEvent } from '../observability/log';
import type { RequestContext, RotationEngine } from '../tokens/rotation';
import type { SessionDirectory } from '../tokens/sessions';
import { normalizeEmail } from '../users/email';
import type { UserRepository } from '../users/repository';
import { AuthError } from './errors';
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

const TOKEN = /^[A-Za-z0-9_-]{43}$/;
const hashOf = (token: string) => toBase64Url(sha256(new TextEncoder().encode(token)));

/** Requests and redemptions of reset links. */
export class PasswordResets {
  constructor(private readonly deps: PasswordResetDeps) {}

  /**
   * Mails a reset link if a password account has this email. The caller learns nothing either way
   * (the same answer for any address); requests are limited per IP and per address.
   */
  async request(emailInput: string, context: RequestContext = {}): Promise<void> {
    const { mailer, users, redis } = this.deps;
    if (!mailer) throw new AuthError('service_unavailable', 'Password reset by email is not available here.');
    const email = normalizeEmail(emailInput);
    await this.deps.limits.passwordReset(email, context.ip);
    const user = await users.findByEmail(email);
    if (!user?.passwordHash) {
      logEvent('info', 'auth.password_reset_requested', { knownUser: false, ip: context.ip });
      return;
    }
    const token = toBase64Url(randomBytes(32));
    const hash = hashOf(token);
    const pointer = userPasswordResetKey(user.id);
    const previous = await redis.get<string>(pointer);
    const pipeline = redis.pipeline();
    if (previous) pipeline.del(passwordResetKey(previous));
    pipeline.set(passwordResetKey(hash), user.id, { ex: this.deps.ttlSeconds }).set(pointer, hash, { ex: this.deps.ttlSeconds });
    await pipeline.exec();
    const minutes = Math.round(this.deps.ttlSeconds / 60);
    await this.send(mailer, {
      to: user.email,
      subject: 'Reset your password',
      text:
        `Someone (hopefully you) asked to reset the password of your account.\n\n` +
        `Choose a new password here (the link works once, within ${minutes} minutes):\n` +
        `${new URL(`/reset-password?token=${token}`, this.deps.appUrl)}\n\n` +
        `If it was not you, ignore this email: your password stays as it is.\n`,
    });
    logEvent('info', 'auth.password_reset_requested', { knownUser: true, userId: user.id, ip: context.ip });
  }

  private async send(mailer: Mailer, message: MailMessage): Promise<void> {
    try {
      await mailer.send(message);
    } catch (error) {
      logEvent('error', 'mail.send_failed', { error: error instanceof Error ? error.message : String(error) });
      throw new AuthError('service_unavailable', 'The email could not be sent; please try again shortly.');
    }
  }

  /** Redeems a link: sets the new password and signs out every session; `invalid_reset_token` if unknown, used or expired. */
  async confirm(token: string, newPassword: string, context: RequestContext = {}): Promise<{ signedOutSessions: number }> {
    const { users, redis } = this.deps;
    const refuse = () => new AuthError('invalid_reset_token', 'This reset link is invalid, already used or expired. Ask for a new one.');
    if (!TOKEN.test(token)) throw refuse();
    const hash = hashOf(token);
    // GETDEL: a link works once, even when two requests race with it.
    const userId = await redis.getdel<string>(passwordResetKey(hash));
    if (!userId) throw refuse();
    const user = await users.findById(userId);
    if (!user) throw refuse();
    await redis.del(userPasswordResetKey(userId));
    const signedOutSessions = await replacePassword(this.deps, user.id, newPassword, { event: 'password_reset', context });
    logEvent('info', 'auth.password_reset', { userId: user.id, signedOutSessions, ip: context.ip });
    return { signedOutSessions };
  }
}
