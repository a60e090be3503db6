/**
 * @module Single-use links sent by email (password reset, email verification, email change): a 256-bit token
 * of which Redis keeps only the SHA-256, for a TTL; a newer link for the same user voids the older one;
 * redemption is one GETDEL, so a link works once even when two requests race with it. Knows no HTTP.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { randomBytes, toBase64Url } from '../encoding/base64url';
import type { MailMessage, Mailer } from '../mail/mailer';
import { logEvent } from '../observability/log';
import type { Redis } from '../redis/client';
import { AuthError } from './errors';

/** Where one kind of link keeps its state: by token hash, and the user's newest hash. */
export interface EmailLinkKeys {
  byHash(tokenHash: string): string;
  newestOf(userId: string): string;
  /** Where a redeemed link is remembered, for its TTL, so a second click can be told apart from a bad link. */
  usedBy?(tokenHash: string): string;
}

/** A redeemed link: the user it was issued for, and what was issued with it (an email change's new address). */
export interface RedeemedLink {
  userId: string;
  data: Readonly<Record<string, string>>;
}

const TOKEN = /^[A-Za-z0-9_-]{43}$/;
const hashOf = (token: string) => toBase64Url(sha256(new TextEncoder().encode(token)));

/** The stored value: the bare user id when there is no data (as links were stored before data existed), else JSON. */
const stored = (userId: string, data: Record<string, string> | undefined) => (data ? JSON.stringify({ userId, data }) : userId);

/** Reads a stored value back; null for anything this code did not write. */
function parseStored(value: string): RedeemedLink | null {
  if (!value.startsWith('{')) return { userId: value, data: {} };
  try {
    const parsed = JSON.parse(value) as Partial<RedeemedLink>;
    if (typeof parsed.userId !== 'string' || typeof parsed.data !== 'object' || parsed.data === null) return null;
    return { userId: parsed.userId, data: parsed.data };
  } catch {
    return null;
  }
}

/** Issues and redeems one kind of single-use link. */
export class EmailLinks {
  constructor(
    private readonly redis: Redis,
    private readonly keys: EmailLinkKeys,
    readonly ttlSeconds: number,
  ) {}

  /**
   * A fresh token for the user, valid for the TTL, carrying `data` (given back on redemption); the user's
   * previous link of this kind stops working.
   */
  async issue(userId: string, data?: Record<string, string>): Promise<string> {
    const token = toBase64Url(randomBytes(32));
    const hash = hashOf(token);
    const pointer = this.keys.newestOf(userId);
    const previous = await this.redis.get<string>(pointer);
    const pipeline = this.redis.pipeline();
    if (previous) pipeline.del(this.keys.byHash(previous));
    pipeline
      .set(this.keys.byHash(hash), stored(userId, data), { ex: this.ttlSeconds })
      .set(pointer, hash, { ex: this.ttlSeconds });
    await pipeline.exec();
    return token;
  }

  /** Whom (and what) a token was issued for, exactly once; null when malformed, unknown, used, voided or expired. */
  async redeem(token: string): Promise<RedeemedLink | null> {
    if (!TOKEN.test(token)) return null;
    // GETDEL: a link works once, even when two requests race with it.
    const value = await this.redis.getdel<string>(this.keys.byHash(hashOf(token)));
    const link = value ? parseStored(value) : null;
    if (link) {
      const pipeline = this.redis.pipeline().del(this.keys.newestOf(link.userId));
      if (this.keys.usedBy) pipeline.set(this.keys.usedBy(hashOf(token)), link.userId, { ex: this.ttlSeconds });
      await pipeline.exec();
    }
    return link;
  }

  /** Voids the user's pending link of this kind, if any (e.g. a reset link mailed to an address the account left). */
  async voidFor(userId: string): Promise<void> {
    const pointer = this.keys.newestOf(userId);
    const newest = await this.redis.get<string>(pointer);
    const pipeline = this.redis.pipeline().del(pointer);
    if (newest) pipeline.del(this.keys.byHash(newest));
    await pipeline.exec();
  }

  /** True while a token can still be redeemed (nothing is used up: a page can say at once that a link is dead). */
  async isLive(token: string): Promise<boolean> {
    return TOKEN.test(token) && (await this.redis.exists(this.keys.byHash(hashOf(token)))) === 1;
  }

  /** The user who already redeemed this token, within its TTL (only for kinds that remember, `usedBy`). */
  async usedBy(token: string): Promise<string | null> {
    if (!TOKEN.test(token) || !this.keys.usedBy) return null;
    return this.redis.get<string>(this.keys.usedBy(hashOf(token)));
  }
}

/** The link's TTL in words for an email ("30 minutes", "24 hours"). */
export function ttlInWords(ttlSeconds: number): string {
  const minutes = Math.round(ttlSeconds / 60);
  return minutes >= 120 && minutes % 60 === 0 ? `${minutes / 60} hours` : `${minutes} minutes`;
}

/** Sends one email; a failed delivery is logged and becomes `service_unavailable` (the person can ask again). */
export async function sendOrUnavailable(mailer: Mailer, message: MailMessage): Promise<void> {
  try {
    await mailer.send(message);
  } catch (error) {
    logEvent('error', 'mail.send_failed', { error: error instanceof Error ? error.message : String(error) });
    throw new AuthError('service_unavailable', 'The email could not be sent; please try again shortly.');
  }
}
