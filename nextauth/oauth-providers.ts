/** @module The OAuth/OIDC providers this deployment offers (Google, GitHub, Twitter/X, Apple, generic OIDC), built from env, and whether each one vouches for an email. */
import type { Provider } from 'next-auth/providers';
import Apple from 'next-auth/providers/apple';
import GitHub from 'next-auth/providers/github';
import Google from 'next-auth/providers/google';
import Twitter from 'next-auth/providers/twitter';
import { z } from 'zod';
import { ConfigError } from '../lib/config/env';

/** Ids of the providers this module knows; also the `provider` stored on accounts and sessions. */
export type OAuthProviderId = 'google' | 'github' | 'twitter' | 'apple' | 'oidc';

/** What the sign-in page may know of a provider: never a secret. */
export interface OAuthProviderInfo {
  id: OAuthProviderId;
  name: string;
}

type Env = Record<string, string | undefined>;

const secret = z.string().min(1);
const loopback = new Set(['127.0.0.1', 'localhost', '[::1]']);
// An issuer is fetched for keys and endpoints: https, except on loopback (a local test IdP).
const issuerUrl = z
  .url()
  .refine((v) => {
    const url = URL.parse(v);
    return url !== null && (url.protocol === 'https:' || (url.protocol === 'http:' && loopback.has(url.hostname)));
  }, 'must be an https:// URL (http:// is allowed only for 127.0.0.1/localhost)')
  .transform((v) => v.replace(/\/+$/, ''));

/** Each provider's variables; all of its required ones are set, or none. */
const GROUPS = {
  google: { required: { AUTH_GOOGLE_ID: secret, AUTH_GOOGLE_SECRET: secret }, optional: {} },
  github: { required: { AUTH_GITHUB_ID: secret, AUTH_GITHUB_SECRET: secret }, optional: {} },
  twitter: { required: { AUTH_TWITTER_ID: secret, AUTH_TWITTER_SECRET: secret }, optional: {} },
  apple: { required: { AUTH_APPLE_ID: secret, AUTH_APPLE_SECRET: secret }, optional: {} },
  oidc: {
    required: { AUTH_OIDC_ISSUER: issuerUrl, AUTH_OIDC_ID: secret, AUTH_OIDC_SECRET: secret },
    optional: { AUTH_OIDC_NAME: z.string().trim().min(1).max(60) },
  },
} as const satisfies Record<OAuthProviderId, { required: Record<string, z.ZodType>; optional: Record<string, z.ZodType> }>;

/** Every variable the providers read. */
export const OAUTH_VARIABLES = Object.values(GROUPS).flatMap((g) => [...Object.keys(g.required), ...Object.keys(g.optional)]);

/** Validated settings of the configured providers (secrets included: server-only). */
export interface OAuthSettings {
  google?: { clientId: string; clientSecret: string };
  github?: { clientId: string; clientSecret: string };
  twitter?: { clientId: string; clientSecret: string };
  apple?: { clientId: string; clientSecret: string };
  oidc?: { issuer: string; clientId: string; clientSecret: string; name: string };
}

const present = (env: Env, name: string) => (env[name] ?? '').trim() !== '';

/** Reads the OAuth variables; throws a ConfigError naming each missing or bad one (a half-configured provider is an error). */
export function parseOAuthSettings(env: Env): OAuthSettings {
  const problems: string[] = [];
  const values: Record<string, string> = {};
  for (const [id, group] of Object.entries(GROUPS)) {
    const names = [...Object.keys(group.required), ...Object.keys(group.optional)];
    if (!names.some((name) => present(env, name))) continue;
    for (const [name, schema] of Object.entries(group.required) as [string, z.ZodType<string>][]) {
      if (!present(env, name)) {
        problems.push(`  ${name}: is missing (set all of ${Object.keys(group.required).join(', ')} to offer ${id}, or none)`);
        continue;
      }
      const parsed = schema.safeParse(env[name]!.trim());
      if (parsed.success) values[name] = parsed.data;
      else problems.push(`  ${name}: ${parsed.error.issues[0]!.message}`);
    }
    for (const [name, schema] of Object.entries(group.optional) as [string, z.ZodType<string>][]) {
      if (!present(env, name)) continue;
      const parsed = schema.safeParse(env[name]);
      if (parsed.success) values[name] = parsed.data;
      else problems.push(`  ${name}: ${parsed.error.issues[0]!.message}`);
    }
  }
  if (problems.length) {
    throw new ConfigError(`Invalid environment configuration:\n${problems.join('\n')}\nSee .env.example (OAuth section).`);
  }
  const pair = (id: string, secretName: string) =>
    values[id] ? { clientId: values[id]!, clientSecret: values[secretName]! } : undefined;
  const settings: OAuthSettings = {};
  const google = pair('AUTH_GOOGLE_ID', 'AUTH_GOOGLE_SECRET');
  const github = pair('AUTH_GITHUB_ID', 'AUTH_GITHUB_SECRET');
  const twitter = pair('AUTH_TWITTER_ID', 'AUTH_TWITTER_SECRET');
  const apple = pair('AUTH_APPLE_ID', 'AUTH_APPLE_SECRET');
  if (google) settings.google = google;
  if (github) settings.github = github;
  if (twitter) settings.twitter = twitter;
  if (apple) settings.apple = apple;
  if (values.AUTH_OIDC_ISSUER) {
    settings.oidc = {
      issuer: values.AUTH_OIDC_ISSUER,
      clientId: values.AUTH_OIDC_ID!,
      clientSecret: values.AUTH_OIDC_SECRET!,
      name: values.AUTH_OIDC_NAME ?? 'OpenID Connect',
    };
  }
  return settings;
}

const DISPLAY_NAMES: Record<Exclude<OAuthProviderId, 'oidc'>, string> = {
  google: 'Google',
  github: 'GitHub',
  twitter: 'X (Twitter)',
  apple: 'Apple',
};

/** The configured providers as the sign-in page lists them, in a fixed order. */
export function listOAuthProviders(settings: OAuthSettings = getOAuthSettings()): OAuthProviderInfo[] {
  const list: OAuthProviderInfo[] = [];
  for (const id of ['google', 'github', 'twitter', 'apple'] as const) {
    if (settings[id]) list.push({ id, name: DISPLAY_NAMES[id] });
  }
  if (settings.oidc) list.push({ id: 'oidc', name: settings.oidc.name });
  return list;
}

interface GitHubEmail {
  email: string;
  primary: boolean;
  verified: boolean;
}

/**
 * GitHub's user API says nothing about verification, so the profile is completed from
 * GET /user/emails (scope user:email): the primary address, flagged `email_verified` only when
 * GitHub lists it as verified.
 */
export async function fetchGitHubProfile(
  accessToken: string,
  fetchImpl: typeof fetch = fetch,
  apiBaseUrl = 'https://api.github.com',
): Promise<Record<string, unknown>> {
  const headers = { Authorization: `Bearer ${accessToken}`, Accept: 'application/vnd.github+json', 'User-Agent': 'edge-auth' };
  const userRes = await fetchImpl(`${apiBaseUrl}/user`, { headers });
  if (!userRes.ok) throw new Error(`GitHub /user answered ${userRes.status}`);
  const profile = (await userRes.json()) as Record<string, unknown>;
  const emailsRes = await fetchImpl(`${apiBaseUrl}/user/emails`, { headers });
  const emails = emailsRes.ok ? ((await emailsRes.json()) as GitHubEmail[]) : [];
  const primary = Array.isArray(emails) ? emails.find((e) => e.primary) : undefined;
  if (primary) {
    profile.email = primary.email;
    profile.email_verified = primary.verified === true;
  } else {
    // No list (scope refused): the public profile email is all there is, and nothing vouches for it.
    profile.email_verified = false;
  }
  return profile;
}

/** True when the provider's own profile asserts the address is verified (the only case in which it may be linked to an existing user). */
export function providerVouchesForEmail(provider: string, profile: Record<string, unknown> | undefined): boolean {
  const claim = profile?.email_verified;
  switch (provider) {
    case 'google':
    case 'apple': // Apple sends the claim as a string ("true") in older tokens.
    case 'oidc':
    case 'github': // set by fetchGitHubProfile from GitHub's own `verified` flag
      return claim === true || claim === 'true';
    case 'twitter': // X's profile carries no verification flag.
    default:
      return false;
  }
}

/** Builds the NextAuth providers for the configured settings. */
export function buildOAuthProviders(settings: OAuthSettings = getOAuthSettings()): Provider[] {
  const providers: Provider[] = [];
  if (settings.google) {
    providers.push(
      Google({
        ...settings.google,
        // offline + consent: Google returns a refresh token on every sign-in, not only the first.
        authorization: { params: { access_type: 'offline', prompt: 'consent', response_type: 'code' } },
      }),
    );
  }
  if (settings.github) {
    providers.push(
      GitHub({
        ...settings.github,
        userinfo: {
          url: 'https://api.github.com/user',
          request: ({ tokens }: { tokens: { access_token?: string } }) => fetchGitHubProfile(tokens.access_token ?? ''),
        },
      }),
    );
  }
  // Auth.js's Twitter provider is X's OAuth 2.0 (authorization code + PKCE), not OAuth 1.0a.
  if (settings.twitter) providers.push(Twitter({ ...settings.twitter }));
  if (settings.apple) providers.push(Apple({ ...settings.apple }));
  if (settings.oidc) {
    const { issuer, clientId, clientSecret, name } = settings.oidc;
    providers.push({
      id: 'oidc',
      name,
      type: 'oidc',
      issuer,
      clientId,
      clientSecret,
      checks: ['pkce', 'state', 'nonce'],
      authorization: { params: { scope: 'openid email profile' } },
      // Claims come from the userinfo endpoint: a conformant IdP may leave email out of the
      // id_token (which is still verified: signature, issuer, audience, nonce).
      idToken: false,
      profile(profile: Record<string, unknown>) {
        const text = (v: unknown) => (typeof v === 'string' && v ? v : null);
        return {
          id: String(profile.sub),
          name: text(profile.name) ?? text(profile.preferred_username),
          email: text(profile.email),
          image: text(profile.picture),
        };
      },
    });
  }
  return providers;
}

let cached: OAuthSettings | undefined;

/** The process-wide OAuth settings, parsed from process.env once. */
export function getOAuthSettings(): OAuthSettings {
  cached ??= parseOAuthSettings(process.env);
  return cached;
}
