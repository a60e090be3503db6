/** @module Issuing a session's token pair: the refresh token from the rotation engine plus a signed access token. */
import { signAccessToken, type AccessTokenSettings } from '../tokens/access-token';
import type { KeySet } from '../tokens/keys';
import { logEvent } from '../observability/log';
import type { IssuedRefresh, RequestContext, RotationEngine } from '../tokens/rotation';
import type { PublicUser } from '../users/repository';
import type { Assurance } from '../tokens/assurance';

/** Everything a client needs after signing in or refreshing. */
export interface SessionTokens {
  user: PublicUser | null;
  userId: string;
  sessionId: string;
  provider: string;
  accessToken: string;
  accessTokenExpires: number;
  refreshToken: string;
  refreshTokenExpires: number;
  /** The session's assurance (also in the access token's `aal` and `amr`). */
  assurance: Assurance;
  /** How the refresh token was issued (`started`, `rotated`, `replayed`, `recovered`, ...): a log field and span attribute. */
  outcome?: string;
}

/** What issuing needs: edge-safe (Redis and keys only, no database). */
export interface TokenIssuer {
  rotation: RotationEngine;
  keys: KeySet;
  accessTokens: AccessTokenSettings;
}

/** Signs an access token for an issued refresh token. */
export async function withAccessToken(
  issuer: TokenIssuer,
  issued: IssuedRefresh,
  user: PublicUser | null,
): Promise<SessionTokens> {
  const access = await signAccessToken(issuer.keys, issuer.accessTokens, {
    sub: issued.userId,
    sid: issued.familyId,
    provider: issued.provider,
    aal: issued.assurance.aal,
    amr: issued.assurance.amr,
  });
  return {
    user,
    userId: issued.userId,
    sessionId: issued.familyId,
    provider: issued.provider,
    accessToken: access.token,
    accessTokenExpires: access.expiresAt,
    refreshToken: issued.refreshToken,
    refreshTokenExpires: issued.refreshExpiresAt,
    assurance: issued.assurance,
    outcome: issued.outcome,
  };
}

/**
 * Rotates a refresh token and issues a new access token. Never touches the database. Logs a recovered
 * lost response and a resumed chain here, so the API and NextAuth paths both report them (a client
 * retried, or the store lost writes: not a theft).
 */
export async function refreshSession(
  issuer: TokenIssuer,
  refreshToken: unknown,
  context: RequestContext = {},
): Promise<SessionTokens> {
  const issued = await issuer.rotation.rotate(refreshToken, context);
  if (issued.outcome === 'recovered') {
    logEvent('info', 'auth.refresh_recovered', {
      userId: issued.userId,
      sessionId: issued.familyId,
      recoveries: issued.recoveries,
      ip: context.ip,
      userAgent: context.userAgent,
    });
  }
  if (issued.outcome === 'resumed') {
    // The store had lost this session's last rotations (a failover, a restart) and the token carried on.
    logEvent('info', 'auth.refresh_resumed', {
      userId: issued.userId,
      sessionId: issued.familyId,
      resumes: issued.resumes,
      ip: context.ip,
      userAgent: context.userAgent,
    });
  }
  return withAccessToken(issuer, issued, null);
}
