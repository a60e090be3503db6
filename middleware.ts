/**
 * Edge middleware: gates protected pages. NextAuth's `auth()` runs the jwt callback first (refreshing
 * the access token through the rotation engine when due, and writing the new session cookie), then
 * the access token is verified with jose and its session checked for revocation; otherwise pages go
 * to sign-in with a return URL and APIs get 401 JSON.
 */
import NextAuth from 'next-auth';
import { NextResponse, type NextFetchEvent, type NextRequest } from 'next/server';
import { authConfig } from './auth.config';
import { outageJson, outagePage } from './app/_lib/outage';
import { verifyAccessToken } from './lib/tokens/access-token';
import { getTokenServices } from './lib/services/token-services';

const { auth } = NextAuth(authConfig);

/**
 * A verified access token whose session was not revoked. Policy when Redis is down (known from the
 * cached probe, never a per-request ping): protected pages stay up on the signed token alone, so a
 * revocation then takes effect within one access-token lifetime instead of at once.
 */
async function hasValidAccessToken(accessToken: string | undefined): Promise<boolean> {
  if (!accessToken) return false;
  const { keys, accessTokens, sessions, redisProbe } = await getTokenServices();
  const claims = await verifyAccessToken(keys, accessTokens, accessToken).catch(() => null);
  if (!claims) return false;
  if (!(await redisProbe.isUp())) return true;
  return sessions.isActive(claims.sid).catch(() => true);
}

// With a lazy config (read from env per isolate), next-auth's auth(handler) returns a promise of the handler.
const gate = auth(async (req) => {
  const isApi = req.nextUrl.pathname.startsWith('/api/');
  if (req.auth && !req.auth.error) {
    if (await hasValidAccessToken(req.auth.accessToken)) return NextResponse.next();
    // The access token expired while its refresh was deferred by an outage: the session is intact, say so.
    if (req.auth.unavailable) return isApi ? outageJson() : outagePage();
  }
  if (isApi) {
    const code = req.auth ? 'session_expired' : 'unauthorized';
    return NextResponse.json(
      { error: { code, message: req.auth ? 'Your session has ended; sign in again.' : 'Sign in first.' } },
      { status: 401, headers: { 'WWW-Authenticate': 'Bearer error="invalid_token"', 'Cache-Control': 'no-store' } },
    );
  }
  // The client router's own GET of a page (Back, a link): a redirect would be replayed by the router with
  // its `_rsc` marker, which then shows in the address bar on Forward. A plain refusal makes the router load
  // the page for real instead, and that load gets the redirect below.
  if (req.method === 'GET' && req.headers.get('sec-fetch-dest') === 'empty') {
    return new NextResponse(null, { status: 401, headers: { 'Cache-Control': 'no-store' } });
  }
  const signIn = new URL('/signin', req.nextUrl.origin);
  signIn.searchParams.set('callbackUrl', req.nextUrl.pathname + req.nextUrl.search);
  if (req.auth) signIn.searchParams.set('error', 'SessionExpired');
  return NextResponse.redirect(signIn);
}) as unknown as Promise<(request: NextRequest, event: NextFetchEvent) => Promise<Response>>;

// A plain named function: Next 16 detects middleware exports statically.
export async function middleware(request: NextRequest, event: NextFetchEvent) {
  return (await gate)(request, event);
}

/** Protected pages redirect to sign-in; protected cookie-authenticated APIs answer 401 JSON. */
export const config = { matcher: ['/account/:path*', '/api/me'] };
