/**
 * Edge-safe NextAuth configuration shared by middleware.ts and auth.ts: JWT sessions whose access
 * token is refreshed through the rotation engine 30 s before it expires. Touches Redis and keys
 * only, never the database.
 */
import type { NextAuthConfig } from 'next-auth';
import type { JWT } from 'next-auth/jwt';
import { endsSession } from './lib/auth/errors';
import { RefreshCoalescer } from './lib/auth/refresh-coalescer';
import { refreshSession, type SessionTokens } from './lib/auth/session-tokens';
import { getConfig } from './lib/config/env';
import { logEvent } from './lib/observability/log';
import { getTokenServices } from './lib/services/token-services';

/** Refresh this long before the access token expires, so no request carries an expired one. */
export const REFRESH_MARGIN_MS = 30_000;

/** The margin actually used: 30 s, or a third of a (test-sized) access-token lifetime if that is shorter. */
const refreshMarginMs = () => Math.min(REFRESH_MARGIN_MS, (getConfig().ACCESS_TOKEN_TTL_SECONDS * 1000) / 3);

/** Refreshes in flight or just done, per refresh token; a deferred one is not reused, so the next request retries. */
const coalescer = new RefreshCoalescer<JWT>((token) => token.refreshDeferredAt === undefined);

/** Copies the backend's token pair into the (encrypted, server-only) NextAuth JWT. */
export function withBackendTokens(token: JWT, tokens: SessionTokens): JWT {
  return {
    ...token,
    provider: tokens.provider,
    sessionId: tokens.sessionId,
    accessToken: tokens.accessToken,
    accessTokenExpires: tokens.accessTokenExpires,
    refreshToken: tokens.refreshToken,
    refreshTokenExpires: tokens.refreshTokenExpires,
    error: undefined,
    refreshDeferredAt: undefined,
  };
}

/**
 * Rotates the backend tokens. Only a refusal that really ends the session (`endsSession`: reused, revoked,
 * expired, forged) ends it; anything else (Redis or the API unreachable or slow) keeps the session and marks
 * the refresh deferred, so the middleware shows an outage, never "your session has ended", and the next
 * request tries again.
 */
async function rotate(token: JWT): Promise<JWT> {
  try {
    return withBackendTokens(token, await refreshSession(await getTokenServices(), token.refreshToken));
  } catch (error) {
    if (endsSession(error)) {
      return { ...token, accessToken: undefined, refreshToken: undefined, error: 'RefreshTokenError' };
    }
    logEvent('warn', 'session_refresh_deferred', { error: (error as Error).name });
    return { ...token, refreshDeferredAt: Date.now() };
  }
}

/** The NextAuth config without providers (those live in auth.ts, which may touch the database). */
export function authConfig(): NextAuthConfig {
  return {
    // Every AUTH_SECRET, newest first: Auth.js encrypts with the first and decrypts with any, so a rotation
    // keeps every session. Set here, because Auth.js would read the env variable as one secret, commas included.
    secret: [...getConfig().AUTH_SECRET],
    pages: { signIn: '/signin', error: '/signin' },
    session: { strategy: 'jwt', maxAge: getConfig().SESSION_ABSOLUTE_TTL_SECONDS },
    trustHost: true,
    providers: [],
    callbacks: {
      async jwt({ token, user }) {
        if (user?.backend) return withBackendTokens(token, user.backend);
        if (!token.refreshToken || token.error) return token;
        if (Date.now() < (token.accessTokenExpires ?? 0) - refreshMarginMs()) return token;
        return coalescer.refresh(token.refreshToken, () => rotate(token));
      },
      // Only what the browser may see: never the refresh token.
      session({ session, token }) {
        return {
          ...session,
          user: { ...session.user, id: token.sub ?? '' },
          provider: token.provider ?? '',
          sessionId: token.sessionId ?? '',
          accessToken: token.accessToken ?? '',
          accessTokenExpires: token.accessTokenExpires ?? 0,
          ...(token.error ? { error: token.error } : {}),
          ...(token.refreshDeferredAt !== undefined ? { unavailable: true as const } : {}),
        };
      },
    },
  };
}
