/** @module The server-to-server half of an OAuth sign-in: NextAuth's account/profile → a signed POST /api/v1/auth/oauth → the backend's session tokens. */
import type { Account, Profile, User } from 'next-auth';
import { logEvent } from '../lib/observability/log';
import { telemetry } from '../lib/observability/telemetry';
import { CALLER_PROOF_HEADER, signCallerProof, type CallerSecrets } from '../lib/auth/caller-proof';
import { providerVouchesForEmail } from './oauth-providers';
import type { OAuthAccountInput } from '../lib/users/repository';
import type { SessionTokens } from '../lib/auth/session-tokens';
import { STAND_IN_EMAIL_DOMAIN, standInEmail } from '../lib/users/stand-in-email';

/** Domain for stand-in addresses of provider accounts without an email (RFC 2606: `.invalid` is never deliverable). */
export const PLACEHOLDER_EMAIL_DOMAIN = STAND_IN_EMAIL_DOMAIN;

/** The body of POST /api/v1/auth/oauth. */
export interface OAuthExchangeBody {
  provider: string;
  providerAccountId: string;
  profile: { email: string; emailVerified: boolean; name?: string | null; image?: string | null };
  tokens: Omit<OAuthAccountInput, 'provider' | 'providerAccountId'>;
  /** The person's browser, for the device list; inside the signed body, since the call's own headers are the server's. */
  client?: { ip?: string | null; userAgent?: string | null };
}

/** How an exchange ended. */
export type OAuthExchangeResult =
  | { ok: true; session: SessionTokens }
  | { ok: false; reason: 'not_linkable' | 'refused' | 'unavailable'; status?: number; code?: string }
  /** The account has TOTP on: the half-signed-in token for the second step (never put in a URL). */
  | { ok: false; reason: 'mfa_required'; mfaToken: string; status: 403; code: 'mfa_required' };

const str = (v: unknown): string | null => (typeof v === 'string' && v.length > 0 ? v : null);

/** A stand-in address for a provider account that shares no email (X by default): unique per account, unverified, undeliverable. */
export const placeholderEmail = standInEmail;

/** Builds the exchange body from what NextAuth hands the signIn callback. */
export async function oauthExchangeBody(account: Account, profile: Profile | undefined, user: User): Promise<OAuthExchangeBody> {
  const provider = account.provider;
  const providerEmail = str(user.email) ?? str(profile?.email);
  const name = str(user.name)?.slice(0, 200) ?? null;
  const image = str(user.image);
  return {
    provider,
    providerAccountId: account.providerAccountId,
    profile: {
      email: providerEmail ?? (await placeholderEmail(provider, account.providerAccountId)),
      // A stand-in address is never "verified": it must never link to anyone.
      emailVerified: providerEmail !== null && providerVouchesForEmail(provider, profile as Record<string, unknown> | undefined),
      name,
      // Avatars are nice to have; an absurdly long URL must not fail the sign-in.
      image: image && image.length <= 2048 ? image : null,
    },
    tokens: {
      type: account.type,
      accessToken: str(account.access_token),
      refreshToken: str(account.refresh_token),
      idToken: str(account.id_token),
      expiresAt: typeof account.expires_at === 'number' ? Math.floor(account.expires_at) : null,
      tokenType: str(account.token_type),
      scope: str(account.scope),
    },
  };
}

/** Where to call and with what; `fetchImpl` is for tests. */
export interface OAuthExchangeOptions {
  appUrl: string;
  /** OAUTH_CALLER_SECRET: the first (newest) signs. */
  callerSecret: CallerSecrets;
  /** The browser's user agent and IP, so the session list names the device and where it signed in from. */
  context?: { userAgent?: string | null | undefined; ip?: string | null | undefined };
  fetchImpl?: typeof fetch;
  timeoutMs?: number;
}

/** POSTs the signed body to the backend; never throws for HTTP outcomes and never logs tokens. */
export async function exchangeOAuthSignIn(body: OAuthExchangeBody, options: OAuthExchangeOptions): Promise<OAuthExchangeResult> {
  const { ip, userAgent } = options.context ?? {};
  const text = JSON.stringify(
    ip || userAgent ? { ...body, client: { ip: ip || null, userAgent: userAgent?.slice(0, 1024) || null } } : body,
  );
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    [CALLER_PROOF_HEADER]: await signCallerProof(options.callerSecret, text),
  };
  // The sign-in's trace continues in the API (traceparent); a no-op with telemetry off.
  telemetry().inject(headers);
  let res: Response;
  try {
    res = await (options.fetchImpl ?? fetch)(new URL('/api/v1/auth/oauth', options.appUrl), {
      method: 'POST',
      headers,
      body: text,
      cache: 'no-store',
      signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
    });
  } catch (error) {
    logEvent('warn', 'oauth_exchange_failed', { provider: body.provider, error: (error as Error).name });
    return { ok: false, reason: 'unavailable' };
  }
  const json = (await res.json().catch(() => null)) as Record<string, any> | null;
  // The token response of api/_hono/token-response.ts.
  const userId = typeof json?.user_id === 'string' ? json.user_id : json?.user?.id;
  if (
    res.ok &&
    json &&
    typeof userId === 'string' &&
    typeof json.refresh_token === 'string' &&
    typeof json.access_token === 'string'
  ) {
    return {
      ok: true,
      session: {
        user: json.user ?? null,
        userId,
        sessionId: json.session_id,
        provider: typeof json.provider === 'string' ? json.provider : body.provider,
        accessToken: json.access_token,
        accessTokenExpires: json.access_token_expires_at,
        refreshToken: json.refresh_token,
        refreshTokenExpires: json.refresh_token_expires_at,
        // Shown, never trusted: the API re-reads the level from the session's family for every check.
        assurance: {
          aal: json.aal === 'aal2' ? 'aal2' : 'aal1',
          amr: Array.isArray(json.amr) ? json.amr : ['oauth'],
          verifiedAt: 0,
        },
      },
    };
  }
  const code = typeof json?.error?.code === 'string' ? (json.error.code as string) : undefined;
  logEvent('warn', 'oauth_exchange_refused', { provider: body.provider, status: res.status, code });
  if (res.status === 403 && code === 'mfa_required' && typeof json?.error?.mfa_token === 'string') {
    return { ok: false, reason: 'mfa_required', mfaToken: json.error.mfa_token, status: 403, code: 'mfa_required' };
  }
  if (res.status === 409 && code === 'account_not_linkable')
    return { ok: false, reason: 'not_linkable', status: res.status, code };
  return {
    ok: false,
    reason: res.status >= 500 || res.status === 429 ? 'unavailable' : 'refused',
    status: res.status,
    ...(code ? { code } : {}),
  };
}
