/**
 * @module Every token response (sign-in, OAuth sign-in, refresh): the OAuth 2.0 token response
 * (RFC 6749 §5.1) plus the session's fields, all in its snake_case, never cached.
 */
import type { SessionTokens } from '../../lib/auth/service';
import type { PublicUser } from '../../lib/users/repository';

/** What `POST /auth/{signin,oauth,refresh-token}` answer with. Times are ms since the epoch. */
export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  /** Seconds until the access token expires (RFC 6749 §5.1). */
  expires_in: number;
  access_token_expires_at: number;
  refresh_token: string;
  refresh_token_expires_at: number;
  session_id: string;
  user_id: string;
  provider: string;
  /** The session's assurance level and methods, as in the access token (`aal1`/`aal2`, RFC 8176 `amr`). */
  aal: string;
  amr: string[];
  /** On sign-in only: a refresh does not read the database. */
  user?: PublicUser;
}

/** Builds the token response for a session; the refresh path's only work is this object. */
function tokenResponse(s: SessionTokens, now = Date.now()): TokenResponse {
  const body: TokenResponse = {
    access_token: s.accessToken,
    token_type: 'Bearer',
    expires_in: Math.max(0, Math.round((s.accessTokenExpires - now) / 1000)),
    access_token_expires_at: s.accessTokenExpires,
    refresh_token: s.refreshToken,
    refresh_token_expires_at: s.refreshTokenExpires,
    session_id: s.sessionId,
    user_id: s.userId,
    provider: s.provider,
    aal: s.assurance.aal,
    amr: s.assurance.amr,
  };
  if (s.user) body.user = s.user;
  return body;
}

/**
 * The token response as a `Response`, with the refresh cookie when given. Its headers are a plain object:
 * through Hono's `c.header()` they would become a Web `Headers` that @hono/node-server then walks again
 * to write them: 7 % of a refresh's CPU on Node, measured A/B (BENCHMARKS.md).
 */
export function tokenAnswer(s: SessionTokens, setCookie?: string): Response {
  const headers: Record<string, string> = { 'content-type': 'application/json', 'cache-control': 'no-store' };
  if (setCookie !== undefined) headers['set-cookie'] = setCookie;
  return new Response(JSON.stringify(tokenResponse(s)), { headers });
}
