/**
 * @module Every rate limit of the app, declared once: its env variable, its default rule and what it
 * counts per. The config schema, the rule types, the limiters and every test or load-test override
 * derive from this table, so a new limit is one line here (plus its comment in `.env.example`).
 */
import type { LimitRule } from './rule';

/** What one limit counts against: each distinct value gets its own window. */
export type LimitScope = 'ip' | 'account-ip' | 'account' | 'caller' | 'session';

/** One row: the env variable that sets it, its default as "<requests>/<seconds>", and its scope. */
interface LimitDeclaration {
  env: `RATE_LIMIT_${string}`;
  fallback: `${number}/${number}`;
  per: LimitScope;
}

/** The table. `refreshPerSession` is enforced inside the rotation script; all others by @upstash/ratelimit. */
export const RATE_LIMITS = {
  // Every attempt, right or wrong: bounds one IP spraying many accounts, and bursts of parallel guesses.
  signInPerIp: { env: 'RATE_LIMIT_SIGNIN_PER_IP', fallback: '30/60', per: 'ip' },
  // Failures only (read before, counted after): guessing stops, the owner's own sign-ins never lock them
  // out, an attacker elsewhere cannot either, and a completed reset or verification clears it.
  signInPerAccountIp: { env: 'RATE_LIMIT_SIGNIN_PER_ACCOUNT_IP', fallback: '10/900', per: 'account-ip' },
  // Failures only, from everywhere: distributed guessing; cleared like the one above.
  signInPerAccount: { env: 'RATE_LIMIT_SIGNIN_PER_ACCOUNT', fallback: '100/3600', per: 'account' },
  // Every sign-up: account-creation floods (creating is what it limits).
  signUpPerIp: { env: 'RATE_LIMIT_SIGNUP_PER_IP', fallback: '10/3600', per: 'ip' },
  // Failures only (genuine tokens refused by Redis): token probing; honest refreshes never count.
  refreshFailuresPerIp: { env: 'RATE_LIMIT_REFRESH_FAILURES_PER_IP', fallback: '60/60', per: 'ip' },
  // Every refresh of one session: a client stuck in a loop. Far above any honest tab count.
  refreshPerSession: { env: 'RATE_LIMIT_REFRESH_PER_SESSION', fallback: '120/60', per: 'session' },
  // Every call of the NextAuth server: a runaway or stolen caller secret.
  oauthPerCaller: { env: 'RATE_LIMIT_OAUTH_PER_CALLER', fallback: '300/60', per: 'caller' },
  // Every request (each may send a mail): mail bombing from one IP, and of one address.
  passwordResetPerIp: { env: 'RATE_LIMIT_PASSWORD_RESET_PER_IP', fallback: '10/3600', per: 'ip' },
  passwordResetPerAccount: { env: 'RATE_LIMIT_PASSWORD_RESET_PER_ACCOUNT', fallback: '3/3600', per: 'account' },
  // Every request (each may send a mail), as above.
  emailVerificationPerIp: { env: 'RATE_LIMIT_EMAIL_VERIFICATION_PER_IP', fallback: '10/3600', per: 'ip' },
  emailVerificationPerAccount: { env: 'RATE_LIMIT_EMAIL_VERIFICATION_PER_ACCOUNT', fallback: '3/3600', per: 'account' },
  // Every accepted email change (each mails the new address and the current one): one account mailing others, or
  // churning its address; room for a mistyped address or two. The mail to the new address also counts against
  // emailVerificationPerAccount, as any mail asking to confirm an address does.
  emailChangePerAccount: { env: 'RATE_LIMIT_EMAIL_CHANGE_PER_ACCOUNT', fallback: '5/3600', per: 'account' },
  // Every second-factor attempt (TOTP, recovery code, passkey sign-in or step-up), as sign-in per IP.
  secondFactorPerIp: { env: 'RATE_LIMIT_SECOND_FACTOR_PER_IP', fallback: '30/60', per: 'ip' },
  // Failures only, per account from everywhere: 10 wrong codes stop TOTP guessing (1 in 10^5 per window).
  secondFactorPerAccount: { env: 'RATE_LIMIT_SECOND_FACTOR_PER_ACCOUNT', fallback: '10/900', per: 'account' },
  // Every WebAuthn challenge handed out (each is a Redis key for 5 minutes): challenge floods. Every sign-in page
  // load asks for one (autofill), so it is set for a busy NAT, like the OAuth caller limit.
  passkeyChallengesPerIp: { env: 'RATE_LIMIT_PASSKEY_CHALLENGES_PER_IP', fallback: '300/60', per: 'ip' },
} as const satisfies Record<string, LimitDeclaration>;

/** The name of a limit. */
export type LimitName = keyof typeof RATE_LIMITS;

/** The env variable of a limit. */
export type LimitVariable = (typeof RATE_LIMITS)[LimitName]['env'];

/** Every limit's rule, by name. */
export type LimitRules = Record<LimitName, LimitRule>;

/** Every limit's name. */
export const LIMIT_NAMES = Object.keys(RATE_LIMITS) as LimitName[];

/** The rules by name, from values keyed by env variable (the parsed config). */
export function limitRules(byVariable: Record<LimitVariable, LimitRule>): LimitRules {
  return Object.fromEntries(LIMIT_NAMES.map((name) => [name, byVariable[RATE_LIMITS[name].env]])) as LimitRules;
}

/**
 * Env overrides that set limits to `rule`: all of them, or those of the given scopes. Tests and load
 * tests send everything from one IP, so they raise the limits that one client shares.
 */
export function limitOverrides(
  rule: string,
  scopes: readonly LimitScope[] = ['ip', 'account-ip', 'account', 'caller', 'session'],
) {
  return Object.fromEntries(
    LIMIT_NAMES.filter((name) => scopes.includes(RATE_LIMITS[name].per)).map((name) => [RATE_LIMITS[name].env, rule]),
  ) as Partial<Record<LimitVariable, string>>;
}

/** The scopes every request from one test client shares (one IP, one calling server). */
export const ONE_CLIENT_SCOPES: readonly LimitScope[] = ['ip', 'account-ip', 'caller'];
