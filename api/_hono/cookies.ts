/** @module The refresh-token cookie: HttpOnly, SameSite=Lax, path-scoped to the auth API, `__Secure-` on https. */
import type { Context } from 'hono';
import { deleteCookie, generateCookie, getCookie } from 'hono/cookie';

/** The auth routes are the only place the browser ever needs to send the refresh token. */
export const REFRESH_COOKIE_PATH = '/api/v1/auth';
const NAME = 'refresh_token';

// `__Host-` would force Path=/, so the path-scoped cookie takes the `__Secure-` prefix instead.
const prefixed = (secure: boolean) => (secure ? { prefix: 'secure' as const } : {});

/** The `Set-Cookie` value that stores the refresh token until it expires. */
export function refreshCookie(secure: boolean, token: string, expiresAt: number): string {
  return generateCookie(NAME, token, {
    path: REFRESH_COOKIE_PATH,
    httpOnly: true,
    secure,
    sameSite: 'Lax',
    maxAge: Math.max(0, Math.floor((expiresAt - Date.now()) / 1000)),
    ...prefixed(secure),
  });
}

/** The refresh token from the cookie, if any. */
export function readRefreshCookie(c: Context, secure: boolean): string | undefined {
  return secure ? getCookie(c, NAME, 'secure') : getCookie(c, NAME);
}

/** Clears the refresh cookie. */
export function clearRefreshCookie(c: Context, secure: boolean): void {
  deleteCookie(c, NAME, { path: REFRESH_COOKIE_PATH, secure, httpOnly: true, sameSite: 'Lax', ...prefixed(secure) });
}
