/** @module Environment configuration: every variable the app reads, validated once with zod. */
import { z } from 'zod';
import { CLIENT_IP_SOURCES, type ClientIpPolicy } from '../auth/request-context';
import { parseRule } from '../rate-limit/rule';
import { LIMIT_NAMES, RATE_LIMITS, type LimitVariable } from '../rate-limit/table';

const seconds = (fallback: number, min = 1) => z.coerce.number().int().min(min).default(fallback);

const jwkList = z
  .string()
  .transform((raw, ctx) => {
    try {
      return JSON.parse(raw) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be a JSON array of private JWKs' });
      return z.NEVER;
    }
  })
  .pipe(
    z
      .array(
        z.looseObject({
          kid: z.string().min(1, 'every key needs a "kid"'),
          alg: z.enum(['ES256', 'EdDSA']),
          kty: z.string(),
          d: z.string().min(1, 'every key must be a private key (has "d")'),
        }),
      )
      .min(1, 'needs at least one key'),
  );

/**
 * A secret that rotates: a comma-separated list, newest first. The first signs, every one verifies, so a
 * rotation is "prepend a new secret; drop the old one once nothing it signed can still be presented".
 */
const rule = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((text, ctx) => {
      const parsed = parseRule(text);
      if (!parsed) {
        ctx.addIssue({ code: 'custom', message: 'must be "<requests>/<seconds>", e.g. "30/60"' });
        return z.NEVER;
      }
      return parsed;
    });

/** One validated rule per rate limit, keyed by its env variable. */
const rateLimitSchema = Object.fromEntries(
  LIMIT_NAMES.map((name) => [RATE_LIMITS[name].env, rule(RATE_LIMITS[name].fallback)]),
) as Record<LimitVariable, ReturnType<typeof rule>>;

/**
 * A secret that rotates without a logout: a comma-separated list, newest first, at most `maxKeys`. The first
 * signs or encrypts, every one verifies or decrypts, so a new secret goes in front and the old one is dropped
 * once what it protected has expired (docs/operations.md). One secret is a list of one.
 */
export const secretList = (minLength = 32, maxKeys = 4) =>
  z.string().transform((raw, ctx) => {
    const secrets = raw.split(',').map((secret) => secret.trim());
    // Positions only: the message must never echo a secret.
    const short = secrets.flatMap((secret, i) => (secret.length < minLength ? [i + 1] : []));
    if (short.length > 0) {
      const which = secrets.length > 1 ? `secret ${short.join(', ')} of ${secrets.length} is too short: each ` : '';
      ctx.addIssue({ code: 'custom', message: `${which}must be at least ${minLength} characters (openssl rand -base64 32)` });
      return z.NEVER;
    }
    if (secrets.length > maxKeys) {
      ctx.addIssue({ code: 'custom', message: `must list at most ${maxKeys} secrets (newest first)` });
      return z.NEVER;
    }
    if (new Set(secrets).size < secrets.length) {
      ctx.addIssue({ code: 'custom', message: 'lists the same secret twice' });
      return z.NEVER;
    }
    return secrets as readonly string[];
  });

const schema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  APP_URL: z.url().default('http://localhost:3000'),
  // NextAuth's cookie encryption keys, newest first (Auth.js encrypts with the first, decrypts with any).
  AUTH_SECRET: secretList(),
  UPSTASH_REDIS_REST_URL: z.url(),
  UPSTASH_REDIS_REST_TOKEN: z.string().min(1),
  REDIS_TIMEOUT_MS: z.coerce.number().int().min(50).max(30_000).default(2_000),
  REDIS_HEALTH_INTERVAL_MS: z.coerce.number().int().min(100).max(600_000).default(5_000),
  // After security-relevant writes only (sign-out, revocation, reuse detection): WAIT for this many
  // replicas, at most REDIS_WAIT_TIMEOUT_MS. 0 turns it off (docs/scaling.md: what it costs).
  REDIS_WAIT_REPLICAS: z.coerce.number().int().min(0).max(8).default(0),
  REDIS_WAIT_TIMEOUT_MS: z.coerce.number().int().min(1).max(10_000).default(200),
  DATABASE_URL: z
    .string()
    .regex(/^(postgres(ql)?|prisma(\+postgres)?):\/\//, 'must be a postgresql://, prisma:// or prisma+postgres:// URL'),
  // The health check's bound for one database query. Its own setting: a database connection is opened
  // lazily and its first query costs more than a Redis round trip, and a cold connection is no outage.
  DATABASE_TIMEOUT_MS: z.coerce.number().int().min(50).max(60_000).default(5_000),
  ACCESS_TOKEN_SIGNING_KEYS: jwkList,
  ACCESS_TOKEN_TTL_SECONDS: seconds(900, 2),
  JWT_ISSUER: z.string().min(1).optional(),
  JWT_AUDIENCE: z.string().min(1).default('edge-auth-api'),
  // A key ring (newest first): refresh tokens name the key that tagged them; see docs/security.md.
  REFRESH_TOKEN_SECRET: secretList(),
  REFRESH_GRACE_SECONDS: seconds(20, 0).refine((v) => v <= 120, 'must be at most 120 seconds'),
  SESSION_IDLE_TTL_SECONDS: seconds(7 * 24 * 3600, 60),
  SESSION_ABSOLUTE_TTL_SECONDS: seconds(30 * 24 * 3600, 60),
  PASSWORD_PBKDF2_ITERATIONS: z.coerce.number().int().min(1_000).max(10_000_000).default(600_000),
  // The caller proof's HMAC keys, newest first: NextAuth signs with the first, the API accepts any.
  OAUTH_CALLER_SECRET: secretList(),
  // Where the client's IP comes from (lib/auth/request-context.ts): "vercel", "proxy" (the hop the last of
  // TRUSTED_PROXY_HOPS proxies appended to X-Forwarded-For) or "socket" (the standalone Node server).
  // Default: "vercel" on Vercel, else "socket".
  CLIENT_IP_SOURCE: z.enum(CLIENT_IP_SOURCES).optional(),
  TRUSTED_PROXY_HOPS: z.coerce.number().int().min(1).max(10).default(1),
  // Every rate limit, from its one declaration in lib/rate-limit/table.ts.
  ...rateLimitSchema,
  // How password-reset emails leave: "outbox" keeps them in Redis for local use and tests (never in
  // production), "webhook" POSTs them to MAIL_WEBHOOK_URL, "none" turns password reset off.
  MAIL_TRANSPORT: z.enum(['none', 'outbox', 'webhook']).optional(),
  MAIL_WEBHOOK_URL: z.url().optional(),
  MAIL_WEBHOOK_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  MAIL_FROM: z.string().min(3).max(200).optional(),
  PASSWORD_RESET_TTL_SECONDS: seconds(30 * 60, 60).refine((v) => v <= 24 * 3600, 'must be at most 86400 seconds'),
  // Email verification of password sign-ups: "required" (no password sign-in before the link is used),
  // "optional" (links are sent, sign-in works meanwhile) or "off" (no links). Default: "required" when
  // mail can be sent, "off" when MAIL_TRANSPORT is "none" (nobody could ever verify).
  EMAIL_VERIFICATION: z.enum(['required', 'optional', 'off']).optional(),
  EMAIL_VERIFICATION_TTL_SECONDS: seconds(24 * 3600, 60).refine((v) => v <= 7 * 24 * 3600, 'must be at most 604800 seconds'),
  // Second factors and passkeys (lib/mfa, lib/passkeys).
  // Encrypts TOTP seeds at rest (lib/mfa/secret-box.ts): a key ring like the secrets above.
  MFA_ENCRYPTION_KEY: secretList(),
  STEP_UP_MAX_AGE_SECONDS: seconds(600, 30).refine((v) => v <= 24 * 3600, 'must be at most 86400 seconds'),
  WEBAUTHN_RP_ID: z
    .string()
    .regex(/^[a-z0-9.-]{1,253}$/, 'must be a lower-case domain name (no scheme, no port)')
    .optional(),
  WEBAUTHN_RP_NAME: z.string().min(1).max(100).optional(),
});

/** Every variable the configuration reads. */
export const CONFIG_VARIABLES = Object.keys(schema.shape);

/** Validated configuration of one process / edge isolate. */
export type Config = Omit<
  z.infer<typeof schema>,
  'MAIL_TRANSPORT' | 'EMAIL_VERIFICATION' | 'CLIENT_IP_SOURCE' | 'TRUSTED_PROXY_HOPS'
> & {
  jwtIssuer: string;
  /** How the client's IP is learnt, for every caller (CLIENT_IP_SOURCE, TRUSTED_PROXY_HOPS). */
  clientIp: ClientIpPolicy;
  secureCookies: boolean;
  /** Defaults to "outbox" outside production and "none" in production. */
  MAIL_TRANSPORT: 'none' | 'outbox' | 'webhook';
  /** Defaults to "required" when mail can be sent, "off" when MAIL_TRANSPORT is "none". */
  EMAIL_VERIFICATION: EmailVerificationMode;
  /** The WebAuthn relying party: its id (a domain), its name, and the one origin ceremonies may come from. */
  webauthn: { rpId: string; rpName: string; origin: string };
};

/** Whether password sign-ups verify their email, and whether an unverified one may sign in meanwhile. */
export type EmailVerificationMode = 'required' | 'optional' | 'off';

/** Thrown when the environment is missing or has a bad variable; the message names each one. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Parses env against a zod object schema, or throws a ConfigError naming every bad variable. */
export function parseEnv<T extends z.ZodType>(schema: T, env: Record<string, string | undefined>): z.infer<T> {
  const result = schema.safeParse(env);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? '(environment)');
      const detail = env[name] === undefined || env[name] === '' ? 'is missing' : issue.message;
      return `  ${name}: ${detail}`;
    });
    throw new ConfigError(`Invalid environment configuration:\n${lines.join('\n')}\nSee .env.example.`);
  }
  return result.data;
}

/** Parses an environment object into a Config, or throws a ConfigError naming every bad variable. */
export function parseConfig(env: Record<string, string | undefined>): Config {
  const c = parseEnv(schema, env);
  if (c.SESSION_IDLE_TTL_SECONDS > c.SESSION_ABSOLUTE_TTL_SECONDS) {
    throw new ConfigError(
      'Invalid environment configuration:\n  SESSION_IDLE_TTL_SECONDS: must not exceed SESSION_ABSOLUTE_TTL_SECONDS',
    );
  }
  // The WAIT must end before the client gives up on the request, or a sign-out that succeeded would answer 503.
  if (c.REDIS_WAIT_REPLICAS > 0 && c.REDIS_WAIT_TIMEOUT_MS >= c.REDIS_TIMEOUT_MS) {
    throw new ConfigError(
      'Invalid environment configuration:\n  REDIS_WAIT_TIMEOUT_MS: must be less than REDIS_TIMEOUT_MS (the request would time out first)',
    );
  }
  if (c.NODE_ENV === 'production' && c.PASSWORD_PBKDF2_ITERATIONS < 600_000) {
    throw new ConfigError(
      'Invalid environment configuration:\n  PASSWORD_PBKDF2_ITERATIONS: must be at least 600000 in production (OWASP)',
    );
  }
  const numbered = Object.keys(env).filter((name) => /^AUTH_SECRET_\d+$/.test(name) && env[name]);
  if (numbered.length > 0) {
    // Auth.js would read these, but our list in AUTH_SECRET replaces them: a secret set here would be ignored.
    throw new ConfigError(
      `Invalid environment configuration:\n${numbered.map((n) => `  ${n}: is not read; put older secrets after the newest in AUTH_SECRET, comma-separated`).join('\n')}`,
    );
  }
  const mailTransport = c.MAIL_TRANSPORT ?? (c.NODE_ENV === 'production' ? 'none' : 'outbox');
  if (mailTransport === 'outbox' && c.NODE_ENV === 'production') {
    throw new ConfigError(
      'Invalid environment configuration:\n  MAIL_TRANSPORT: "outbox" keeps reset links in Redis and is for local use only; use "webhook" or "none" in production',
    );
  }
  if (mailTransport === 'webhook' && (!c.MAIL_WEBHOOK_URL || !c.MAIL_WEBHOOK_TOKEN)) {
    const missing = [!c.MAIL_WEBHOOK_URL && 'MAIL_WEBHOOK_URL', !c.MAIL_WEBHOOK_TOKEN && 'MAIL_WEBHOOK_TOKEN'].filter(Boolean);
    throw new ConfigError(
      `Invalid environment configuration:\n${missing.map((n) => `  ${n}: is missing (MAIL_TRANSPORT=webhook)`).join('\n')}`,
    );
  }
  const emailVerification = c.EMAIL_VERIFICATION ?? (mailTransport === 'none' ? 'off' : 'required');
  if (emailVerification !== 'off' && mailTransport === 'none') {
    // No link could ever be sent: "required" would lock every new password account out.
    throw new ConfigError(
      `Invalid environment configuration:\n  EMAIL_VERIFICATION: "${emailVerification}" needs email, but MAIL_TRANSPORT is "none"; set MAIL_TRANSPORT to "webhook" (or "outbox" locally), or EMAIL_VERIFICATION to "off"`,
    );
  }
  const appHost = new URL(c.APP_URL).hostname;
  const rpId = c.WEBAUTHN_RP_ID ?? appHost;
  if (rpId !== appHost && !appHost.endsWith(`.${rpId}`)) {
    throw new ConfigError(
      `Invalid environment configuration:\n  WEBAUTHN_RP_ID: "${rpId}" must be the host of APP_URL (${appHost}) or a parent domain of it`,
    );
  }
  const { CLIENT_IP_SOURCE, TRUSTED_PROXY_HOPS, ...rest } = c;
  return {
    ...rest,
    clientIp: clientIpPolicy(env, CLIENT_IP_SOURCE, TRUSTED_PROXY_HOPS),
    MAIL_TRANSPORT: mailTransport,
    EMAIL_VERIFICATION: emailVerification,
    jwtIssuer: c.JWT_ISSUER ?? c.APP_URL,
    secureCookies: c.APP_URL.startsWith('https://'),
    webauthn: { rpId, rpName: c.WEBAUTHN_RP_NAME ?? appHost, origin: new URL(c.APP_URL).origin },
  };
}

/**
 * The client-IP rule, refusing settings under which clients could choose their own IP or share one
 * bucket: the retired TRUST_PROXY (it trusted the client-written left-most hop), and "socket" inside
 * Next.js, whose routes see no socket (every client would be "unknown", one bucket for the whole site).
 */
function clientIpPolicy(
  env: Record<string, string | undefined>,
  source: ClientIpPolicy['source'] | undefined,
  trustedProxies: number,
): ClientIpPolicy {
  // The retired TRUST_PROXY, read here only to refuse it: it trusted the left-most, client-written hop.
  if (env.TRUST_PROXY && source === undefined) {
    throw new ConfigError(
      'Invalid environment configuration:\n  TRUST_PROXY: is no longer read; set CLIENT_IP_SOURCE instead ("vercel", "proxy" with TRUSTED_PROXY_HOPS, or "socket"; see docs/security.md)',
    );
  }
  const chosen = source ?? (env.VERCEL === '1' ? 'vercel' : 'socket');
  if (chosen === 'socket' && env.NEXT_RUNTIME) {
    throw new ConfigError(
      `Invalid environment configuration:\n  CLIENT_IP_SOURCE: ${source ? '"socket"' : 'is missing (default "socket")'}, but Next.js routes see no socket, so every client would share one rate-limit bucket; set CLIENT_IP_SOURCE to "vercel" on Vercel, or "proxy" with TRUSTED_PROXY_HOPS behind a reverse proxy (docs/security.md)`,
    );
  }
  return { source: chosen, trustedProxies };
}

let cached: Config | undefined;

/** The process-wide configuration, parsed from process.env on first use. */
export function getConfig(): Config {
  cached ??= parseConfig(process.env);
  return cached;
}

/** An empty value (`NAME=` in an env file) counts as unset. */
const unlessBlank = <T extends z.ZodType>(inner: T) => z.preprocess((v) => (v === '' ? undefined : v), inner);

/**
 * Telemetry (ops/telemetry/register.ts, docs/telemetry.md): off unless an OTLP endpoint or METRICS_PORT is set.
 * The OTEL_* names are OpenTelemetry's own; the SDK reads them too, and they are checked here so a typo stops
 * the start instead of silently exporting nothing.
 */
const telemetrySchema = z.object({
  OTEL_EXPORTER_OTLP_ENDPOINT: unlessBlank(z.url().optional()),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: unlessBlank(z.url().optional()),
  OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: unlessBlank(z.url().optional()),
  OTEL_EXPORTER_OTLP_PROTOCOL: unlessBlank(z.enum(['http/json', 'http/protobuf']).optional()),
  OTEL_EXPORTER_OTLP_HEADERS: unlessBlank(z.string().optional()),
  OTEL_SERVICE_NAME: unlessBlank(z.string().min(1).max(100).default('edge-auth')),
  OTEL_METRIC_EXPORT_INTERVAL: unlessBlank(z.coerce.number().int().min(100).max(3_600_000).default(60_000)),
  METRICS_PORT: unlessBlank(z.coerce.number().int().min(1).max(65_535).optional()),
  METRICS_HOST: unlessBlank(z.string().min(1).default('127.0.0.1')),
});

/** Every telemetry variable. */
export const TELEMETRY_VARIABLES = Object.keys(telemetrySchema.shape);

/** The telemetry settings, parsed. */
export type TelemetrySettings = z.infer<typeof telemetrySchema>;

/** Parses the telemetry settings; throws a ConfigError naming each bad one. */
export function parseTelemetrySettings(env: Record<string, string | undefined>): TelemetrySettings {
  return parseEnv(telemetrySchema, env);
}
