/**
 * @module Opaque refresh tokens.
 *
 * `rt2.<family>.<absExp>.<position>.<kid>.<secret>.<anchors>.<tag>` (since issue 22):
 * - the family id lets the server find the family; the 256-bit secret is the credential;
 * - the position is the token's number in its family's chain (0 at sign-in), so a token the store has
 *   not caught up with (a rotation lost in a failover or restart) is recognised as ahead, not as reuse;
 * - the kid names the key of REFRESH_TOKEN_SECRET's ring that tagged it, so one HMAC verifies it;
 * - the anchors are 8-character fingerprints of the stored hashes of up to {@link AHEAD_LIMIT} tokens
 *   before it, nearest first: a token ahead of the store by d proves with its d-th anchor that it
 *   descends from the token the store holds, so a tagging key alone cannot take over a session;
 * - the tag (HMAC under the kid's key) covers everything before it, and rejects forged or truncated
 *   tokens without touching Redis.
 *
 * A successor's secret is SHA-256 of its predecessor's family and secret: deterministic, so a replay
 * inside the grace window or a recovery re-derives the very same successor, and independent of the key
 * ring, so it stays the same when a key is added between a rotation and its replay. What is stored (the
 * token's hash) covers family, expiry and secret, not the position (tag-covered; an rt1 token's successor
 * learns its position from the script), the kid or the tag: a successor re-tagged under a newer key is the
 * same token to Redis. Only hashes reach Redis. Authority comes from the tag:
 * knowing a secret without a key's tag is worth nothing.
 *
 * `rt1.<family>.<absExp>.<secret>.<tag>` tokens (before issue 22) verify against every key of the ring. Their
 * successors are rt2, at the position the family's rotation count gives and tagged by the newest key, so a
 * session moves to rt2 (and off the old key) at its first refresh. A replay or recovery of an rt1 token that
 * the code before rt2 rotated gets the rt1 successor that code stored (secret = HMAC(key, predecessor)): its
 * hash goes to the script alongside, for rt1 tokens only.
 *
 * Hashing is synchronous (token-crypto.ts): native `node:crypto` on Node, @noble/hashes on the edge. An
 * rt2 rotation costs two HMACs (verify, tag the successor) and three SHA-256 (presented hash, successor
 * secret, successor hash), one HMAC fewer than rt1's.
 */
import { randomBytes, timingSafeEqualText, toBase64Url } from '../encoding/base64url';
import { tokenCrypto, type KeyedHashing, type TokenCrypto } from './token-crypto';

const V1 = /^rt1\.([A-Za-z0-9_-]{22})\.([0-9a-z]{1,12})\.([A-Za-z0-9_-]{43})\.([A-Za-z0-9_-]{22})$/;
const V2 =
  /^rt2\.([A-Za-z0-9_-]{22})\.([0-9a-z]{1,12})\.(0|[1-9a-z][0-9a-z]{0,7})\.([A-Za-z0-9_-]{4})\.([A-Za-z0-9_-]{43})\.((?:[A-Za-z0-9_-]{8}){0,3})\.([A-Za-z0-9_-]{22})$/;

/**
 * How far ahead of the store a token may be and still continue its session: the number of anchors a
 * token carries. Justified in docs/security.md ("A token ahead of the store").
 */
export const AHEAD_LIMIT = 3;
/** Characters of a stored hash kept as an anchor (48 bits: one wrong guess revokes the family). */
export const ANCHOR_LENGTH = 8;
const KID_LENGTH = 4;

/** A parsed, authenticated refresh token. */
export interface RefreshToken {
  raw: string;
  familyId: string;
  /** The family's absolute expiry (epoch ms): fixed at sign-in, shared by every token of the family. */
  absoluteExpiresAt: number;
  /** rt2: the token's number in its family's chain (0 at sign-in). rt1 tokens carry none. */
  position?: number;
  /** rt2: fingerprints of the stored hashes of the tokens before it, nearest first ('' for rt1). */
  anchors: string;
}

/**
 * The successor of a presented token, before the rotation script has answered: what Redis compares, and how
 * to spell the token once the script has said which position it holds.
 */
export interface Successor {
  /** {@link RefreshTokenCodec.hash} of the rt2 successor (its position is not part of it). */
  hash: string;
  /**
   * rt1 tokens only: the hash of the rt1 successor the code before rt2 derived, which is what Redis holds
   * when that code rotated the token, so a replay or recovery of it must get that one back.
   */
  legacyHash?: string;
  /** The token to hand out: the rt2 successor at `position`, tagged by the newest key, or the rt1 one. */
  issue(position: number, legacy?: boolean): string;
}

/** What the codec keeps of a parsed token beyond its public parts. */
interface Parsed extends RefreshToken {
  readonly expText: string;
  readonly secret: string;
  /** rt1: the ring key that verified the tag, which also derives its successor. */
  readonly v1Key?: KeyedHashing;
}

/** One key of the ring: its id (in rt2 tokens) and its HMAC. */
interface RingKey {
  kid: string;
  hashing: KeyedHashing;
}

/** The key id of a REFRESH_TOKEN_SECRET: 4 base64url characters of SHA-256 of the secret, domain-separated. */
export function refreshKeyId(secret: string, crypto: TokenCrypto = tokenCrypto): string {
  return crypto.keyedHashing(secret).hash(`refresh-token-kid:${secret}`).slice(0, KID_LENGTH);
}

/** Mints, parses and derives refresh tokens under a ring of server secrets (newest first: it tags). */
export class RefreshTokenCodec {
  private readonly byKid: Map<string, KeyedHashing>;

  private constructor(private readonly ring: readonly RingKey[]) {
    this.byKid = new Map(ring.map((key) => [key.kid, key.hashing]));
    if (this.byKid.size !== ring.length) throw new Error('REFRESH_TOKEN_SECRET: two secrets share a key id; generate another');
  }

  /**
   * Prepares a codec for the server secrets (each a string of ≥ 32 characters), newest first: the first
   * tags new tokens, every one verifies. `crypto` picks the implementation.
   */
  static create(secrets: string | readonly string[], crypto: TokenCrypto = tokenCrypto): RefreshTokenCodec {
    const list = typeof secrets === 'string' ? [secrets] : secrets;
    if (list.length === 0) throw new Error('REFRESH_TOKEN_SECRET: needs at least one secret');
    return new RefreshTokenCodec(
      list.map((secret) => ({ kid: refreshKeyId(secret, crypto), hashing: crypto.keyedHashing(secret) })),
    );
  }

  /** A new random family id (128 bits). */
  newFamilyId(): string {
    return toBase64Url(randomBytes(16));
  }

  /** Mints the first token of a family (position 0, no anchors). */
  mint(familyId: string, absoluteExpiresAt: number): Parsed {
    return this.assemble(familyId, Math.floor(absoluteExpiresAt / 1000).toString(36), 0, toBase64Url(randomBytes(32)), '');
  }

  /**
   * The deterministic successor of a token, for the rotation: same family and expiry, secret derived from
   * the token's, anchors shifted in. Its position comes from the script's answer (an rt1 token has none of
   * its own; the family's rotation count gives it). `presentedHash` is {@link hash} of `token`.
   */
  next(token: RefreshToken, presentedHash: string): Successor {
    const t = token as Parsed;
    const secret = this.primary.hashing.hash(`rt2-next.${t.familyId}.${t.secret}`);
    const anchors = (presentedHash.slice(0, ANCHOR_LENGTH) + t.anchors).slice(0, AHEAD_LIMIT * ANCHOR_LENGTH);
    const hash = this.primary.hashing.hash(`rt2.${t.familyId}.${t.expText}.${secret}`);
    if (t.position !== undefined)
      return { hash, issue: (position) => this.assemble(t.familyId, t.expText, position, secret, anchors).raw };
    const legacy = this.successorV1(t);
    return {
      hash,
      legacyHash: this.hash(legacy),
      issue: (position, useLegacy) =>
        useLegacy ? legacy.raw : this.assemble(t.familyId, t.expText, position, secret, anchors).raw,
    };
  }

  /**
   * The successor of a token whose position is known: rt2 at the next position; for an rt1 token, the rt1
   * successor the code before rt2 derived (tests and benchmarks; the rotation uses {@link next}).
   */
  successor(token: RefreshToken, presentedHash: string = this.hash(token)): Parsed {
    const t = token as Parsed;
    if (t.position === undefined) return this.successorV1(t);
    return this.parseInternal(this.next(t, presentedHash).issue(t.position + 1)) as Parsed;
  }

  /** Parses and authenticates a token; null when malformed, forged, or tagged by a key not in the ring. */
  parse(raw: unknown): RefreshToken | null {
    return this.parseInternal(raw);
  }

  private parseInternal(raw: unknown): Parsed | null {
    if (typeof raw !== 'string' || raw.length > 200) return null;
    // Tags are compared as text, not decoded: the last of 22 base64url characters carries 4 unused bits,
    // so 16 spellings decode to the same tag. Decoding would accept those aliases as valid tokens whose
    // hash matches nothing in Redis, i.e. as reuse that revokes the owner's session.
    const m2 = V2.exec(raw);
    if (m2) {
      const [, familyId, expText, posText, kid, secret, anchors, tag] = m2 as unknown as string[] as [
        string,
        string,
        string,
        string,
        string,
        string,
        string,
        string,
      ];
      const hashing = this.byKid.get(kid);
      if (!hashing || !timingSafeEqualText(tag, hashing.mac(raw.slice(0, raw.length - tag.length - 1), 16))) return null;
      const position = parseInt(posText, 36);
      return {
        raw,
        familyId,
        absoluteExpiresAt: parseInt(expText, 36) * 1000,
        position,
        anchors,
        expText,
        secret,
      } satisfies Parsed;
    }
    const m1 = V1.exec(raw);
    if (!m1) return null;
    const [, familyId, expText, secret, tag] = m1 as unknown as [string, string, string, string, string];
    const body = `rt1.${familyId}.${expText}.${secret}`;
    // rt1 tokens name no key: any key of the ring may have tagged them (at most a few HMACs, and only
    // until the last rt1 token has been refreshed or has gone idle).
    const v1Key = this.ring.find((key) => timingSafeEqualText(tag, key.hashing.mac(body, 16)))?.hashing;
    if (!v1Key) return null;
    return {
      raw,
      familyId,
      absoluteExpiresAt: parseInt(expText, 36) * 1000,
      anchors: '',
      expText,
      secret,
      v1Key,
    } satisfies Parsed;
  }

  /** SHA-256 of a token's identity, the only form stored server-side (rt1: of the whole token). */
  hash(token: RefreshToken): string {
    const t = token as Parsed;
    if (t.position === undefined) return this.primary.hashing.hash(t.raw);
    // The position is left out: it is covered by the tag, and an rt1 token's successor is hashed before
    // the script has said which position it takes.
    return this.primary.hashing.hash(`rt2.${t.familyId}.${t.expText}.${t.secret}`);
  }

  private get primary(): RingKey {
    return this.ring[0] as RingKey;
  }

  private assemble(familyId: string, expText: string, position: number, secret: string, anchors: string): Parsed {
    const { kid, hashing } = this.primary;
    const body = `rt2.${familyId}.${expText}.${position.toString(36)}.${kid}.${secret}.${anchors}`;
    const raw = `${body}.${hashing.mac(body, 16)}`;
    return { raw, familyId, absoluteExpiresAt: parseInt(expText, 36) * 1000, position, anchors, expText, secret };
  }

  /** rt1 as before issue 22: secret = HMAC(key, predecessor), tagged by the same key that verified it. */
  private successorV1(t: Parsed): Parsed {
    const key = t.v1Key ?? this.primary.hashing;
    return assembleV1(t.familyId, t.expText, key.mac(`next:${t.raw}`), key);
  }

  /** Mints an rt1 token as the code before issue 22 did: for tests of the upgrade only. */
  mintV1ForTest(familyId: string, absoluteExpiresAt: number): Parsed {
    const expText = Math.floor(absoluteExpiresAt / 1000).toString(36);
    return assembleV1(familyId, expText, toBase64Url(randomBytes(32)), this.primary.hashing);
  }
}

/** An rt1 token (`rt1.<family>.<absExp>.<secret>.<tag>`), tagged by `key`. */
function assembleV1(familyId: string, expText: string, secret: string, key: KeyedHashing): Parsed {
  const body = `rt1.${familyId}.${expText}.${secret}`;
  return {
    raw: `${body}.${key.mac(body, 16)}`,
    familyId,
    absoluteExpiresAt: parseInt(expText, 36) * 1000,
    anchors: '',
    expText,
    secret,
    v1Key: key,
  } satisfies Parsed;
}
