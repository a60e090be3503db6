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
  }
}
