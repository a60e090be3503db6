/** Session and JWT shapes of this app. The refresh token lives only in the encrypted JWT cookie. */
import type { DefaultSession } from 'next-auth';

declare module 'next-auth' {
  interface Session {
    user: { id: string } & DefaultSession['user'];
    provider: string;
    sessionId: string;
    accessToken: string;
    accessTokenExpires: number;
    error?: 'RefreshTokenError';
    /** The last refresh was deferred because Redis or the API was unreachable: the session is intact. */
    unavailable?: true;
  }
  interface User {
    /** Set by authorize() / the OAuth exchange; copied into the JWT at sign-in, never into the session. */
    backend?: import('../lib/auth/session-tokens').SessionTokens;
  }
}

declare module '@auth/core/jwt' {
  interface JWT {
    provider?: string;
    sessionId?: string;
    accessToken?: string;
    accessTokenExpires?: number;
    refreshToken?: string;
    refreshTokenExpires?: number;
    error?: 'RefreshTokenError';
    /** When a refresh was last deferred by an outage (ms); cleared by the next successful one. */
    refreshDeferredAt?: number;
  }
}
