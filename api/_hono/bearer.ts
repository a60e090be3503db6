/** @module Bearer access-token guard (RFC 6750): verifies the JWT, then that its session was not revoked. */
import { createMiddleware } from 'hono/factory';
import { AuthError } from '../../lib/auth/errors';
import { verifyAccessToken, type AccessClaims } from '../../lib/tokens/access-token';
import type { AppServices } from '../../lib/services/app-services';

/** What the guard sets on the context for the routes behind it. */
export type BearerVariables = { claims: AccessClaims };

/** The Hono environment of routes behind the guard. */
export type BearerEnv = { Variables: BearerVariables };

/** Rejects requests without a valid access token of a still-active session; sets `claims`. */
export const requireAccessToken = (services: () => Promise<AppServices>) =>
  createMiddleware<BearerEnv>(async (c, next) => {
    const match = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/.exec(c.req.header('authorization') ?? '');
    if (!match) throw new AuthError('invalid_token', 'An access token is required: Authorization: Bearer <token>.');
    const { keys, accessTokens, sessions } = await services();
    const claims = await verifyAccessToken(keys, accessTokens, match[1]!);
    // Revocation takes effect at once: the family's state is checked on every authenticated call.
    if (!(await sessions.isActive(claims.sid))) throw new AuthError('token_revoked', 'This session has been signed out.');
    c.set('claims', claims);
    await next();
  });
