/**
 * @module Opaque refresh tokens: `rt1.<family>.<absExp>.<secret>.<tag>`.
 * The family id lets the server find the family; the 256-bit secret is the credential; the tag (an
 * HMAC under REFRESH_TOKEN_SECRET) rejects forged or truncated tokens without touching Redis.
 * A successor's secret is derived from its predecessor by HMAC, so a replay inside the grace window
 * yields the very same successor without the server ever storing a plaintext token. Only SHA-256
 * hashes reach Redis.
 *
 * Hashing is synchronous (token-crypto.ts): native `node:crypto` on Node, @noble/hashes on the edge;
 * on this hot path four small HMAC/SHA-256 computations cost less than a trip to Web Crypto's thread pool.
 */
import { randomBytes, timingSafeEqualText, toBase64Url } from '../encoding/base64url';
import { tokenCrypto, type KeyedHashing, type TokenCrypto } from './token-crypto';

const VERSION = 'rt1';
const FORMAT = /^rt1\.([A-Za-z0-9_-]{22})\.([0-9a-z]{1,12})\.([A-Za-z0-9_-]{43})\.([A-Za-z0-9_-]{22})$/;

/** A parsed, authenticated refresh token. */
export interface RefreshToken {
  raw: string;
  familyId: string;
  /** The family's absolute expiry (epoch ms): fixed at sign-in, shared by every token of the family. */
  absoluteExpiresAt: number;
}

/** Mints, parses and derives refresh tokens under one server secret. */
export class RefreshTokenCodec {
  private constructor(private readonly hashing: KeyedHashing) {}

  /** Prepares a codec for the server secret (any string of ≥ 32 characters); `crypto` picks the implementation. */
  static create(secret: string, crypto: TokenCrypto = tokenCrypto): RefreshTokenCodec {
    return new RefreshTokenCodec(crypto.keyedHashing(secret));
  }

  /** A new random family id (128 bits). */
  newFamilyId(): string {
    return toBase64Url(randomBytes(16));
  }

  /** Mints the first token of a family. */
  mint(familyId: string, absoluteExpiresAt: number): RefreshToken {
    return this.assemble(familyId, absoluteExpiresAt, toBase64Url(randomBytes(32)));
  }

  /** The deterministic successor of a token: same family and expiry, secret = HMAC(key, token). */
  successor(token: RefreshToken): RefreshToken {
    return this.assemble(token.familyId, token.absoluteExpiresAt, this.hashing.mac(`next:${token.raw}`));
  }

  /** Parses and authenticates a token; null when malformed or forged. */
  parse(raw: unknown): RefreshToken | null {
    if (typeof raw !== 'string' || raw.length > 128) return null;
    const match = FORMAT.exec(raw);
    if (!match) return null;
    const [, familyId, expText, secret, tagText] = match as unknown as [string, string, string, string, string];
    // Compared as text, not decoded: the last of 22 base64url characters carries 4 unused bits, so 16
    // spellings decode to the same tag. Decoding would accept those aliases as valid tokens whose hash
    // matches nothing in Redis, i.e. as reuse that revokes the owner's session.
    const expected = this.hashing.mac(`${VERSION}.${familyId}.${expText}.${secret}`, 16);
    if (!timingSafeEqualText(tagText, expected)) return null;
    return { raw, familyId, absoluteExpiresAt: parseInt(expText, 36) * 1000 };
  }

  /** SHA-256 of a token, the only form stored server-side. */
  hash(token: RefreshToken): string {
    return this.hashing.hash(token.raw);
  }

  private assemble(familyId: string, absoluteExpiresAt: number, secret: string): RefreshToken {
    const body = `${VERSION}.${familyId}.${Math.floor(absoluteExpiresAt / 1000).toString(36)}.${secret}`;
    const tag = this.hashing.mac(body, 16);
    return { raw: `${body}.${tag}`, familyId, absoluteExpiresAt: Math.floor(absoluteExpiresAt / 1000) * 1000 };
  }
}
