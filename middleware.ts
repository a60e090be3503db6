/**
 * Edge middleware: gates protected pages. NextAuth's `auth()` runs the jwt callback first (refreshing
 * the access token through the rotation engine when due, and writing the new session cookie), then
 * the access token is verified with jose; expired, missing or revoked sessions go to sign-in.
 */
import NextAuth from 'next-auth';
import { NextResponse, type NextFetchEvent, type NextRequest } from 'next/server';
import { authConfig } from './auth.config';
import { verifyAccessToken } from './lib/tokens/access-token';
import { getTokenServices } from './lib/services/token-services';

const { auth } = NextAuth(authConfig);

async function hasValidAccessToken(accessToken: string | undefined): Promise<boolean> {
  if (!accessToken) return false;
  const { keys, accessTokens } = await getTokenServices();
  return verifyAccessToken(keys, accessTokens, accessToken).then(
    () => true,
    () => false,
  );
}

// With a lazy config (read from env per isolate), next-auth's auth(handler) returns a promise of the handler.
const gate = auth(async (req) => {
  if (req.auth && !req.auth.error && (await hasValidAccessToken(req.auth.accessToken))) return NextResponse.next();
  const signIn = new URL('/signin', req.nextUrl.origin);
  signIn.searchParams.set('callbackUrl', req.nextUrl.pathname + req.nextUrl.search);
  if (req.auth?.error) signIn.searchParams.set('error', 'SessionExpired');
  return NextResponse.redirect(signIn);
}) as unknown as Promise<(request: NextRequest, event: NextFetchEvent) => Promise<Response>>;

// A plain named function: Next 16 detects middleware exports statically.
export async function middleware(request: NextRequest, event: NextFetchEvent) {
  return (await gate)(request, event);
}

export const config = { matcher: ['/account/:path*'] };
