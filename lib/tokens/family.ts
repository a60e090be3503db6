/**
 * @module A token family (one signed-in device) as Redis keeps it: the one home of its hash's field
 * names and states, and of the rotate script's reply, decoded into a typed outcome. The Lua scripts
 * (rotation.lua.ts), the rotation engine, the session directory and the load-test audit all spell the
 * fields through {@link FAMILY_FIELDS}, so renaming one is a change in one place.
 */

/** The fields of a family hash (`auth:{fam:<id>}`), by what they mean. */
export const FAMILY_FIELDS = {
  /** `active` or `revoked` ({@link FamilyState}). */
  state: 'st',
  /** SHA-256 of the current refresh token. */
  current: 'cur',
  /** SHA-256 of its predecessor, kept while the current one has never been accepted. */
  previous: 'prev',
  /** When the predecessor was rotated (epoch ms, Redis time): the grace window starts here. */
  previousAt: 'prevAt',
  /** The family's absolute expiry (epoch ms). */
  absoluteExpiresAt: 'absExp',
  /** The last accepted use (epoch ms): the idle expiry counts from here. */
  lastUsed: 'lastUsed',
  /** When the family started (epoch ms). */
  created: 'created',
  userId: 'uid',
  provider: 'prv',
  /** Rotations so far: the current token is number `rotations` of the chain. */
  rotations: 'rot',
  /** The per-session refresh limit's window: its start (epoch ms) and the refreshes counted in it. */
  windowStart: 'winAt',
  windowCount: 'winN',
  /** The value of `rotations` at the last recovery of a lost response, and how many there were. */
  lastRecovery: 'rec',
  recoveries: 'recN',
  /** Rotations resumed from a token ahead of the store (its last writes were lost): how many there were. */
  resumes: 'resN',
  /** Set while the current token was presented but refused (rate limited), so it counts as used. */
  presentedButRefused: 'seen',
  /** Device details, dropped when the family is revoked. */
  userAgent: 'ua',
  ip: 'ip',
  /** The session's assurance, packed (`aal2;pwd otp;<ms>`, lib/tokens/assurance.ts); absent means one factor. */
  assurance: 'asr',
  /** On a revoked family's tombstone: when, and why (`reuse`, `signout`, `revoked_by_user`, ...). */
  revokedAt: 'revokedAt',
  reason: 'reason',
} as const;

/** A field name of the family hash. */
export type FamilyField = (typeof FAMILY_FIELDS)[keyof typeof FAMILY_FIELDS];

/** The states a family hash can be in; an absent hash is an unknown or expired family. */
export const FAMILY_STATE = { active: 'active', revoked: 'revoked' } as const;

/** A family's state. */
export type FamilyState = (typeof FAMILY_STATE)[keyof typeof FAMILY_STATE];

/** What the rotate script answered, decoded; see rotation.lua.ts for when each happens. */
export type RotateOutcome =
  | {
      status: 'rotated' | 'replayed' | 'recovered' | 'resumed';
      userId: string;
      provider: string;
      /** When the token handed out stops working unless used (epoch ms). */
      expiresAt: number;
      rotations: number;
      /** Recoveries of this family so far, on `recovered` only. */
      recoveries?: number;
      /** Resumptions of this family so far (tokens ahead of the store), on `resumed` only. */
      resumes?: number;
      /** On `replayed` and `recovered`: the current token is the rt1 successor stored before rt2. */
      legacy?: boolean;
      /** The packed assurance field (lib/tokens/assurance.ts), when the family has one. */
      assurance?: string;
    }
  | { status: 'rate_limited'; retryAfterMs: number }
  | { status: 'reused'; userId: string }
  | { status: 'revoked' | 'expired'; userId?: string }
  /** A genuine token further ahead of the store than its anchors reach: the family was ended, without blame. */
  | { status: 'too_far_ahead'; userId: string; ahead: number }
  | { status: 'unknown' };

/** Thrown when the script's reply has a shape the engine does not know: a script and code out of step. */
export class RotateReplyError extends Error {
  override name = 'RotateReplyError';
}

const text = (value: unknown, what: string): string => {
  if (typeof value !== 'string' || value === '') throw new RotateReplyError(`rotate reply: ${what} is missing`);
  return value;
};

const count = (value: unknown, what: string): number => {
  const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : Number.NaN;
  if (!Number.isFinite(n)) throw new RotateReplyError(`rotate reply: ${what} is not a number`);
  return n;
};

/** Decodes the rotate script's reply (a Lua table) into a {@link RotateOutcome}; throws RotateReplyError on any other shape. */
export function decodeRotateReply(reply: unknown): RotateOutcome {
  if (!Array.isArray(reply)) throw new RotateReplyError('rotate reply: not a list');
  const [status, ...rest] = reply as unknown[];
  switch (status) {
    case 'rotated':
    case 'replayed':
    case 'recovered':
    case 'resumed': {
      const [userId, provider, expiresAt, rotations, counted, legacy, assurance] = rest;
      return {
        status,
        userId: text(userId, 'userId'),
        provider: text(provider, 'provider'),
        expiresAt: count(expiresAt, 'expiresAt'),
        rotations: count(rotations, 'rotations'),
        ...(status === 'recovered' ? { recoveries: count(counted, 'recoveries') } : {}),
        ...(status === 'resumed' ? { resumes: count(counted, 'resumes') } : {}),
        ...(legacy === 1 || legacy === '1' ? { legacy: true } : {}),
        ...(typeof assurance === 'string' && assurance !== '' ? { assurance } : {}),
      };
    }
    case 'too_far_ahead':
      return { status, userId: text(rest[0], 'userId'), ahead: count(rest[1], 'ahead') };
    case 'rate_limited':
      return { status, retryAfterMs: count(rest[0], 'retryAfterMs') };
    case 'reused':
      return { status, userId: text(rest[0], 'userId') };
    case 'revoked':
    case 'expired':
      return typeof rest[0] === 'string' && rest[0] !== '' ? { status, userId: rest[0] } : { status };
    case 'unknown':
      return { status };
    default:
      throw new RotateReplyError(`rotate reply: unknown status ${JSON.stringify(status)}`);
  }
}
