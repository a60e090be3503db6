/**
 * @module Access tokens: short-lived JWTs signed by the key set's signer (token-crypto.ts: `node:crypto`
 * on Node, jose on the edge), verified with jose by `kid` against the key set.
 */
import { errors, jwtVerify, type JWTPayload } from 'jose';
import { AuthError } from '../auth/errors';
import type { KeySet } from './keys';
import type { Aal, AuthMethod } from './assurance';

/** The claims this app puts in an access token. */
export interface AccessClaims {
  sub: string;
  sid: string;
  provider: string;
  /** Assurance level and methods (as Supabase Auth); absent only in tokens signed before they existed. */
  aal?: Aal;
  amr?: AuthMethod[];
}

/** Settings for signing and verifying. */
export interface AccessTokenSettings {
  issuer: string;
  audience: string;
  ttlSeconds: number;
}

/** A freshly signed access token and its expiry (epoch ms). */
export interface SignedAccessToken {
  token: string;
  expiresAt: number;
}

/** Signs an access token for one session (family). */
export async function signAccessToken(
  keys: KeySet,
  settings: AccessTokenSettings,
  claims: AccessClaims,
  nowMs = Date.now(),
): Promise<SignedAccessToken> {
  const iat = Math.floor(nowMs / 1000);
  const exp = iat + settings.ttlSeconds;
  const token = await keys.signer.sign(
    {
      sid: claims.sid,
      provider: claims.provider,
      ...(claims.aal ? { aal: claims.aal, amr: claims.amr ?? [] } : {}),
      sub: claims.sub,
      iss: settings.issuer,
      aud: settings.audience,
      iat,
      exp,
      jti: crypto.randomUUID(),
    },
    'at+jwt',
  );
  return { token, expiresAt: exp * 1000 };
}

/** A string with something in it. */
const nonEmpty = (value: unknown): value is string => typeof value === 'string' && value.length > 0;

/** Verifies signature, issuer, audience, expiry and that exp, iat, sub, sid are there; throws `token_expired` / `invalid_token`. */
export async function verifyAccessToken(
  keys: KeySet,
  settings: AccessTokenSettings,
  token: string,
): Promise<AccessClaims & JWTPayload> {
  try {
    const { payload } = await jwtVerify(
      token,
      (header) => {
        const entry = header.kid ? keys.verifiers.get(header.kid) : undefined;
        if (!entry || entry.alg !== header.alg) throw new errors.JWKSNoMatchingKey();
        return entry.key;
      },
      // A token without `exp` would never expire, one without `iat` has no age: both are refused, not assumed.
      { issuer: settings.issuer, audience: settings.audience, typ: 'at+jwt', requiredClaims: ['exp', 'iat', 'sub'] },
    );
    if (!nonEmpty(payload.sub) || !nonEmpty(payload.sid) || typeof payload.provider !== 'string') {
      throw new AuthError('invalid_token', 'Access token lacks required claims.');
    }
    return payload as AccessClaims & JWTPayload;
  } catch (error) {
    if (error instanceof AuthError) throw error;
    if (error instanceof errors.JWTExpired) throw new AuthError('token_expired', 'Access token has expired.');
    throw new AuthError('invalid_token', 'Access token is invalid.');
  }
}
