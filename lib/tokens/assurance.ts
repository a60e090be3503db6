/**
 * @module A session's assurance: its level (`aal1`, `aal2`), the methods behind it (`amr`, RFC 8176 values
 * where one exists) and when a second factor was last shown. The family hash keeps it in one field
 * (`asr`), so the rotate script reads and returns it with the rest of the family: a refresh keeps the level
 * with still one EVALSHA and no database query. Step-up raises it in place (ELEVATE_SCRIPT).
 */
import type { Redis } from '../redis/client';
import { familyKey } from '../redis/keys';
import { FAMILY_FIELDS as F, FAMILY_STATE } from './family';

/** Authenticator assurance level (NIST SP 800-63B): one factor, or two. */
export type Aal = 'aal1' | 'aal2';

/** How a session was authenticated. */
export type AuthMethod = 'pwd' | 'oauth' | 'otp' | 'recovery_code' | 'webauthn';

/** A session's assurance. */
export interface Assurance {
  aal: Aal;
  amr: AuthMethod[];
  /** When a second factor was last verified in this session (epoch ms); 0 if never. */
  verifiedAt: number;
}

const METHODS: ReadonlySet<string> = new Set<AuthMethod>(['pwd', 'oauth', 'otp', 'recovery_code', 'webauthn']);

/** The assurance of a one-factor sign-in with this provider (a password, or an OAuth provider). */
export function firstFactor(provider: string): Assurance {
  return { aal: 'aal1', amr: [provider === 'credentials' ? 'pwd' : 'oauth'], verifiedAt: 0 };
}

/** Packs an assurance into the family's one field: `aal2;pwd otp;1764300000000`. */
export function encodeAssurance(a: Assurance): string {
  return `${a.aal};${a.amr.join(' ')};${a.verifiedAt}`;
}

/**
 * Unpacks the family field. A family started before this field existed, or a value of any other shape,
 * reads as one factor of its provider: an unknown level is never taken for a higher one.
 */
export function decodeAssurance(raw: unknown, provider: string): Assurance {
  if (typeof raw !== 'string') return firstFactor(provider);
  const [aal, amr = '', at = '0'] = raw.split(';');
  const methods = amr.split(' ').filter((m): m is AuthMethod => METHODS.has(m));
  const verifiedAt = Number(at);
  if ((aal !== 'aal1' && aal !== 'aal2') || methods.length === 0 || !Number.isFinite(verifiedAt)) {
    return firstFactor(provider);
  }
  return { aal, amr: methods, verifiedAt };
}

/** The assurance after a second factor (`method`) was verified at `at`: aal2, the method added once. */
export function withSecondFactor(current: Assurance, method: AuthMethod, at: number): Assurance {
  return { aal: 'aal2', amr: current.amr.includes(method) ? current.amr : [...current.amr, method], verifiedAt: at };
}

/**
 * Raise. KEYS[1] family hash. ARGV: the new packed assurance. Only an active family is changed (a revoked
 * one's tombstone stays as it is); replies 1 when changed, 0 otherwise.
 */
export const ELEVATE_SCRIPT = `
if redis.call('HGET', KEYS[1], '${F.state}') ~= '${FAMILY_STATE.active}' then return 0 end
redis.call('HSET', KEYS[1], '${F.assurance}', ARGV[1])
return 1
`;

/** Reads and raises the assurance kept in a family hash. */
export class AssuranceStore {
  constructor(private readonly redis: Redis) {}

  /** The family's assurance and owner, or null when it is gone or revoked (one HMGET). */
  async read(familyId: string): Promise<{ userId: string; assurance: Assurance } | null> {
    const fields = [F.state, F.userId, F.provider, F.assurance] as const;
    const reply = (await this.redis.hmget(familyKey(familyId), ...fields)) as unknown;
    // Without automatic deserialization the reply is the plain array; read an object too, to be safe.
    const value = (i: number) =>
      (Array.isArray(reply) ? reply[i] : (reply as Record<string, unknown> | null)?.[fields[i]!]) ?? null;
    const [state, userId, provider, raw] = [0, 1, 2, 3].map((i) => {
      const v = value(i);
      return typeof v === 'string' ? v : null;
    });
    if (state !== FAMILY_STATE.active || !userId) return null;
    return { userId, assurance: decodeAssurance(raw ?? undefined, provider ?? '') };
  }

  /** Stores a raised assurance on an active family; false when the family is gone or revoked. */
  async raise(familyId: string, assurance: Assurance): Promise<boolean> {
    const changed = await this.redis.eval(ELEVATE_SCRIPT, [familyKey(familyId)], [encodeAssurance(assurance)]);
    return Number(changed) === 1;
  }
}
