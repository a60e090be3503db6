/**
 * @module Opaque refresh tokens: `rt1.<family>.<absExp>.<secret>.<tag>`.
 * The family id lets the server find the family; the 256-bit secret is the credential; the tag (an
 * HMAC under REFRESH_TOKEN_SECRET) rejects forged or truncated tokens without touching Redis.
 * A successor's secret is derived from its predecessor by HMAC, so a replay inside the grace window
 * yields the very same successor without the server ever storing a plaintext token. Only SHA-256
 * hashes reach Redis.
 */
import { fromBase64Url, randomBytes, timingSafeEqual, toBase64Url } from '../encoding/base64url';

const VERSION = 'rt1';
const FORMAT = /^rt1\.([A-Za-z0-9_-]{22})\.([0-9a-z]{1,12})\.([A-Za-z0-9_-]{43})\.([A-Za-z0-9_-]{22})$/;
const encoder = new TextEncoder();

/** A parsed, authenticated refresh token. */
export interface RefreshToken {
  raw: string;
  familyId: string;
  /** The family's absolute expiry (epoch ms): fixed at sign-in, shared by every token of the family. */
  absoluteExpiresAt: number;
}

/** Mints, parses and derives refresh tokens under one server secret. */
export class RefreshTokenCodec {
  private constructor(private readonly key: CryptoKey) {}

  /** Imports the server secret (any string of ≥ 32 characters). */
  static async create(secret: string): Promise<RefreshTokenCodec> {
    const key = await crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, [
      'sign',
    ]);
    return new RefreshTokenCodec(key);
  }

  /** A new random family id (128 bits). */
  newFamilyId(): string {
    return toBase64Url(randomBytes(16));
  }

  /** Mints the first token of a family. */
  async mint(familyId: string, absoluteExpiresAt: number): Promise<RefreshToken> {
    return this.assemble(familyId, absoluteExpiresAt, toBase64Url(randomBytes(32)));
  }

  /** The deterministic successor of a token: same family and expiry, secret = HMAC(key, token). */
  async successor(token: RefreshToken): Promise<RefreshToken> {
    const secret = toBase64Url(await this.mac(`next:${token.raw}`));
    return this.assemble(token.familyId, token.absoluteExpiresAt, secret);
  }

  /** Parses and authenticates a token; null when malformed or forged. */
  async parse(raw: unknown): Promise<RefreshToken | null> {
    if (typeof raw !== 'string' || raw.length > 128) return null;
    const match = FORMAT.exec(raw);
    if (!match) return null;
    const [, familyId, expText, secret, tagText] = match as unknown as [string, string, string, string, string];
    const tag = fromBase64Url(tagText);
    const expected = (await this.mac(`${VERSION}.${familyId}.${expText}.${secret}`)).subarray(0, 16);
    if (!tag || !timingSafeEqual(tag, expected)) return null;
    return { raw, familyId, absoluteExpiresAt: parseInt(expText, 36) * 1000 };
  }

  /** SHA-256 of a token, the only form stored server-side. */
  async hash(token: RefreshToken): Promise<string> {
    return toBase64Url(await crypto.subtle.digest('SHA-256', encoder.encode(token.raw)));
  }

  private async assemble(familyId: string, absoluteExpiresAt: number, secret: string): Promise<RefreshToken> {
    const body = `${VERSION}.${familyId}.${Math.floor(absoluteExpiresAt / 1000).toString(36)}.${secret}`;
    const tag = toBase64Url((await this.mac(body)).subarray(0, 16));
    return { raw: `${body}.${tag}`, familyId, absoluteExpiresAt: Math.floor(absoluteExpiresAt / 1000) * 1000 };
  }

  private async mac(data: string): Promise<Uint8Array> {
    return new Uint8Array(await crypto.subtle.sign('HMAC', this.key, encoder.encode(data)));
  }
}
