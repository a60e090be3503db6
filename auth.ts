/** NextAuth (Auth.js v5): Credentials and the configured OAuth providers, on top of the edge-safe auth.config.ts. Runs on Node. */
import { AsyncLocalStorage } from 'node:async_hooks';
import NextAuth, { CredentialsSignin, type Account, type Profile, type User } from 'next-auth';
import Credentials from 'next-auth/providers/credentials';
import { requestContext } from './lib/auth/request-context';
import { AuthError, isDependencyError } from './lib/auth/errors';
import { signInInput } from './lib/auth/input';
import { safeRedirectPath } from './lib/auth/safe-redirect';
import { exchangeOAuthSignIn, oauthExchangeBody } from './nextauth/oauth-exchange';
import { buildOAuthProviders } from './nextauth/oauth-providers';
import { classifyOAuthFailure, type OAuthFailure } from './nextauth/oauth-errors';
import { getConfig } from './lib/config/env';
import { logEvent } from './lib/observability/log';
import { getAppServices } from './lib/services/app-services';
import { authConfig } from './auth.config';
import { MfaRequiredError } from './lib/mfa/errors';
import { secondStepProviders } from './nextauth/second-factor-providers';
import { rememberSecondFactor } from './app/_lib/second-factor-cookie';

/** A sign-in refused by a rate limit; its code reaches the sign-in form, so it can say "try again later". */
class RateLimitedSignin extends CredentialsSignin {
  override code = 'rate_limited';
  /** When the sign-in form may try again (the limit's Retry-After). */
  constructor(readonly retryAfterSeconds: number | undefined) {
    super();
  }
}

/** Redis or the database did not answer: nothing is known about the password, so the form must not say it is wrong. */
class UnavailableSignin extends CredentialsSignin {
  override code = 'service_unavailable';
}

/** A right password for an account whose email is not confirmed yet (EMAIL_VERIFICATION=required). */
class UnverifiedSignin extends CredentialsSignin {
  override code = 'email_not_verified';
}

/** A right password for an account with TOTP on: the page asks for the code next, with this token. */
class SecondFactorRequired extends CredentialsSignin {
  override code = 'mfa_required';
  /** The half-signed-in token (single-use, short-lived); the page keeps it in an HttpOnly cookie. */
  constructor(readonly mfaToken: string) {
    super();
  }
}

/** Support blocked the account (npm run admin -- block): the form says to contact support, not that the password is wrong. */
class BlockedSignin extends CredentialsSignin {
  override code = 'account_blocked';
}

/** Where a refused OAuth sign-in lands: the sign-in page, with a message chosen by `error`. */
const signInError = (error: string) => `/signin?error=${encodeURIComponent(error)}`;

/** The browser's IP (under CLIENT_IP_SOURCE; Next.js routes see no socket) and user agent. */
const browserContext = (headers: Headers) => requestContext(headers, undefined, getConfig().clientIp);

/**
 * Trades a provider-verified identity for the backend's own session over HTTP (POST /api/v1/auth/oauth,
 * signed with the caller proof), and puts that session on `user.backend` for the jwt callback.
 * Returns true to continue, or a sign-in page URL with the reason.
 */
async function oauthSignIn(user: User, account: Account, profile: Profile | undefined, request: Request | undefined) {
  const config = getConfig();
  const result = await exchangeOAuthSignIn(await oauthExchangeBody(account, profile, user), {
    appUrl: config.APP_URL,
    callerSecret: config.OAUTH_CALLER_SECRET,
    // The browser's IP and user agent, as a password sign-in records them (the device list shows both).
    context: request ? browserContext(request.headers) : {},
  });
  if (!result.ok) {
    if (result.reason === 'mfa_required') {
      // The provider vouched for the first factor; the second-factor page finishes the sign-in.
      await rememberSecondFactor(result.mfaToken);
      return '/signin/second-factor';
    }
    if (result.reason === 'not_linkable') return signInError('OAuthAccountNotLinked');
    if (result.code === 'account_blocked') return signInError('AccountBlocked');
    // A refusal here is this deployment's fault (secret mismatch, bad body), not the user's.
    return signInError(result.reason === 'unavailable' ? 'OAuthUnavailable' : 'Configuration');
  }
  // The NextAuth token's `sub` must be our user id, not the provider's: later requests are ours.
  user.id = result.session.userId;
  const backendUser = result.session.user;
  if (backendUser) Object.assign(user, { email: backendUser.email, name: backendUser.name, image: backendUser.image });
  user.backend = result.session;
  return true;
}

/** The deployment's one public origin (APP_URL): every redirect after sign-in stays on it. */
const appOrigin = () => new URL(getConfig().APP_URL).origin;

/**
 * Next.js rewrites a loopback IP in a request URL to "localhost", so on http://127.0.0.1 (the
 * browser tests) the OAuth callback would compute another redirect_uri than the sign-in did and the
 * IdP would refuse the code. Pinning the redirect_uri to APP_URL (Auth.js's redirect proxy setting)
 * keeps both equal. Real host names are not rewritten and need nothing.
 */
function loopbackRedirectProxy(): string | undefined {
  const { hostname } = new URL(getConfig().APP_URL);
  return /^(127\.\d+\.\d+\.\d+|\[::1\])$/.test(hostname) ? `${appOrigin()}/api/auth` : undefined;
}

/** Email + password, checked by the backend; the submitted password goes no further. */
const credentials = Credentials({
  credentials: { email: { label: 'Email', type: 'email' }, password: { label: 'Password', type: 'password' } },
  async authorize(credentials, request) {
    const input = signInInput.safeParse({ email: credentials.email, password: credentials.password });
    if (!input.success) throw new CredentialsSignin();
    try {
      const { auth } = await getAppServices();
      const session = await auth.signIn(input.data, browserContext(request.headers));
      // The submitted password goes no further; the user carries only the backend's tokens.
      return {
        id: session.user!.id,
        email: session.user!.email,
        name: session.user!.name,
        image: session.user!.image,
        backend: session,
      };
    } catch (error) {
      if (error instanceof MfaRequiredError) throw new SecondFactorRequired(error.mfaToken);
      if (error instanceof AuthError && error.code === 'invalid_credentials') throw new CredentialsSignin();
      if (error instanceof AuthError && error.code === 'rate_limited') {
        throw new RateLimitedSignin(error.details?.retryAfterSeconds);
      }
      if (error instanceof AuthError && error.code === 'email_not_verified') throw new UnverifiedSignin();
      if (error instanceof AuthError && error.code === 'account_blocked') throw new BlockedSignin();
      if (isDependencyError(error)) throw new UnavailableSignin();
      throw error;
    }
  },
});

let oauthProviders: ReturnType<typeof buildOAuthProviders> | undefined;

/** The second sign-in step (TOTP or recovery code) and passkey sign-in. */
const secondSteps = secondStepProviders(browserContext);

/** The providers, built once per process: NextAuth's lazy config runs on every request. */
const providers = () => [credentials, ...secondSteps, ...(oauthProviders ??= buildOAuthProviders())];

/** The error Auth.js logged while handling the current request or server action (it redirects with a catch-all code). */
const authFailures = new AsyncLocalStorage<{ error?: Error }>();

export const { handlers, auth, signIn, signOut } = NextAuth((request) => {
  const base = authConfig();
  const redirectProxyUrl = loopbackRedirectProxy();
  return {
    ...base,
    ...(redirectProxyUrl ? { redirectProxyUrl } : {}),
    providers: providers(),
    logger: {
      error(error) {
        const slot = authFailures.getStore();
        if (slot) slot.error = error;
        if (error instanceof CredentialsSignin) return;
        // Names and codes only: causes may carry provider responses.
        const cause = (error.cause as { err?: Error & { code?: string } } | undefined)?.err;
        logEvent('warn', 'authjs_error', {
          type: (error as { type?: string }).type ?? error.name,
          cause: cause ? `${cause.name}${cause.code ? ` ${cause.code}` : ''}` : undefined,
          failure: classifyOAuthFailure(error) ?? undefined,
        });
      },
    },
    callbacks: {
      // Same-origin paths and URLs only, resolved against APP_URL (no open redirects, no "localhost" detours).
      // A URL on the origin Auth.js saw (Next.js calls 127.0.0.1 "localhost") is ours too: only its path is kept.
      redirect({ url, baseUrl }) {
        const base = URL.parse(url)?.origin === baseUrl ? baseUrl : getConfig().APP_URL;
        return `${appOrigin()}${safeRedirectPath(url, base, '/')}`;
      },
      ...base.callbacks,
      async signIn({ user, account, profile }) {
        // The second-step providers (second-factor, passkey) are "credentials" too: only OAuth goes on.
        if (!account || account.type === 'credentials') return true;
        return oauthSignIn(user, account, profile, request);
      },
    },
    events: {
      // Signing out of the web app revokes the backend session (the token family), not just the cookie.
      async signOut(message) {
        const refreshToken = 'token' in message ? message.token?.refreshToken : undefined;
        if (refreshToken) await (await getAppServices()).auth.signOut(refreshToken);
      },
    },
  };
});

/**
 * Runs Auth.js work (a route handler, a server action's signIn) and names the failure behind its catch-all
 * `error=Configuration` redirect, if it was an OAuth one (nextauth/oauth-errors.ts).
 */
export async function explainingAuthFailures<T>(work: () => Promise<T>): Promise<{ value: T; failure: OAuthFailure | null }> {
  const slot: { error?: Error } = {};
  const value = await authFailures.run(slot, work);
  return { value, failure: slot.error ? classifyOAuthFailure(slot.error) : null };
}

/** True when `location` is Auth.js's catch-all error redirect to the sign-in page. */
export function isConfigurationError(location: string | null | undefined): boolean {
  const target = location ? URL.parse(location, appOrigin()) : null;
  return target?.pathname === '/signin' && target.searchParams.get('error') === 'Configuration';
}

/**
 * NextAuth's route handlers, with Auth.js's `error=Configuration` replaced by what happened: a used,
 * replayed or tampered callback, or an unreachable provider. A signed-in person who reloads (or goes back
 * to) a used callback is simply sent to their account.
 */
async function explainedHandler(req: Parameters<typeof handlers.GET>[0]): Promise<Response> {
  const handler = req.method === 'POST' ? handlers.POST : handlers.GET;
  const { value: res, failure } = await explainingAuthFailures(() => handler(req));
  if (!failure || !isConfigurationError(res.headers.get('location'))) return res;
  let target = `${appOrigin()}/signin?error=${failure}`;
  if (failure === 'OAuthCallbackInvalid') {
    // Not knowing (Redis briefly down) is no reason to fail: the sign-in page explains the callback.
    const session = await auth().catch(() => null);
    if (session && !session.error) target = `${appOrigin()}/account`;
  }
  const headers = new Headers(res.headers);
  headers.set('location', target);
  return new Response(null, { status: 302, headers });
}

/** GET and POST of /api/auth/[...nextauth]. */
export const authRoute = { GET: explainedHandler, POST: explainedHandler };
