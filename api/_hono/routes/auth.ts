/** @module POST /auth/{signup,signin,oauth,refresh-token,signout}. */
import { Hono, type Context } from 'hono';
import { verifyCallerProof, CALLER_PROOF_HEADER } from '../../../lib/auth/caller-proof';
import type { AppServices } from '../../../lib/services/app-services';
import { clearRefreshCookie, readRefreshCookie, refreshCookie } from '../cookies';
import { requestContext } from '../context';
import { deferFor } from '../deferred';
import { signInInput, signUpInput } from '../../../lib/auth/input';
import { oauthBody, parseBody, readBodyText, readJson, refreshBody, requireJsonContentType } from '../validation';
import { ApiError } from '../errors';
import { tokenAnswer } from '../token-response';

/** What sign-up answers when email verification is on, for any address. */
export const CHECK_EMAIL = 'Check your email: we have sent a message to this address with what to do next.';

/**
 * The refresh token a request presents: the body's, or else the refresh cookie. A request that relies on the
 * cookie must declare JSON (415 otherwise): a form or a `no-cors` fetch from a same-site origin (another
 * subdomain; SameSite=Lax stops other sites) sends the cookie along, but it cannot send that content type,
 * and a script cannot either without a CORS preflight, which this API never grants.
 */
function presentedRefreshToken(c: Context, inBody: string | undefined, secureCookies: boolean): string {
  if (inBody !== undefined) return inBody;
  requireJsonContentType(c);
  const cookie = readRefreshCookie(c, secureCookies);
  if (!cookie) throw new ApiError('invalid_request', 'refresh_token is required (in the body or the refresh cookie).');
  return cookie;
}

/** Auth routes over the app services. */
export function authRoutes(services: () => Promise<AppServices>) {
  const app = new Hono();

  app.post('/signup', async (c) => {
    const body = await readJson(c, signUpInput);
    const { auth, config } = await services();
    const result = await auth.signUp(body, requestContext(c, config.clientIp), deferFor(c));
    if (result.status === 'created') return c.json({ user: result.user }, 201);
    // The same answer, after the same work, whether the address was new or already had an account
    // (EMAIL_VERIFICATION on); the mail goes out after it.
    return c.json({ message: CHECK_EMAIL }, 202);
  });

  app.post('/signin', async (c) => {
    const body = await readJson(c, signInInput);
    const { auth, config } = await services();
    const session = await auth.signIn(body, requestContext(c, config.clientIp));
    return tokenAnswer(session, refreshCookie(config.secureCookies, session.refreshToken, session.refreshTokenExpires));
  });

  app.post('/oauth', async (c) => {
    const text = await readBodyText(c);
    const { auth, config, redis } = await services();
    // Authenticate the caller before reading anything it claims.
    await verifyCallerProof(config.OAUTH_CALLER_SECRET, redis, c.req.header(CALLER_PROOF_HEADER), text);
    const body = parseBody(oauthBody, text);
    // The person's browser, as NextAuth saw it: signed with the body. The call's own headers are the server's.
    const browser = { ip: body.client?.ip ?? undefined, userAgent: body.client?.userAgent ?? undefined };
    const session = await auth.signInWithOAuth(
      {
        provider: body.provider,
        providerAccountId: body.providerAccountId,
        email: body.profile.email,
        emailVerified: body.profile.emailVerified,
        name: body.profile.name ?? null,
        image: body.profile.image ?? null,
        account: body.tokens,
      },
      browser,
      requestContext(c, config.clientIp).ip,
    );
    return tokenAnswer(session);
  });

  app.post('/refresh-token', async (c) => {
    const body = await readJson(c, refreshBody);
    const { auth, config } = await services();
    const presented = presentedRefreshToken(c, body.refresh_token, config.secureCookies);
    const s = await auth.refresh(presented, requestContext(c, config.clientIp));
    return tokenAnswer(s, refreshCookie(config.secureCookies, s.refreshToken, s.refreshTokenExpires));
  });

  app.post('/signout', async (c) => {
    const body = await readJson(c, refreshBody);
    const { auth, config } = await services();
    const presented = presentedRefreshToken(c, body.refresh_token, config.secureCookies);
    await auth.signOut(presented);
    clearRefreshCookie(c, config.secureCookies);
    return c.body(null, 204);
  });

  return app;
}
