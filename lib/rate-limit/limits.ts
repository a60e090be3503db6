/**
 * @module Rate limits (@upstash/ratelimit, sliding windows) for every entry point. The refresh hot path
 * gains no Redis round trip: per-session limits live inside the rotation script, and per-IP limits
 * count failures only, with IPs over the limit remembered in memory (the limiter's ephemeral cache).
 */
import { Ratelimit } from '@upstash/ratelimit';
import type { Redis } from '../redis/client';
import { AuthError } from '../auth/errors';
import { LIMIT_NAMES, type LimitName, type LimitRules } from './table';
import { recordRateLimited } from '../observability/telemetry';

/** The limits @upstash/ratelimit enforces (the per-session refresh limit lives in the rotation script). */
type Name = Exclude<LimitName, 'refreshPerSession'>;

const prefixOf = (name: Name) => `auth:rl:${name}`;
/**
 * The identifier as a hash tag, so the two windows the sliding-window script touches (`<key>:<window>`)
 * share one Redis Cluster slot. Braces inside it are escaped: an email may contain them, and a `}` at its
 * start would end the tag early (an empty tag hashes the whole key, window number included).
 */
const tagged = (id: string) => `{${id.replace(/[%{}]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)}}`;
/** The limiter's own key for an identifier (@upstash/ratelimit joins prefix and id with ':'). */
const limiterKey = (name: Name, id: string) => `${prefixOf(name)}:${tagged(id)}`;

/**
 * The account lockout windows: read before a sign-in, counted after a failure, cleared when the owner proves
 * the address. No in-memory cache: it would keep refusing after a clear.
 */
const LOCKOUT_WINDOWS: ReadonlySet<Name> = new Set(['signInPerAccountIp', 'signInPerAccount', 'secondFactorPerAccount']);

/** All limiters of the app. */
export class RateLimits {
  private readonly limiters: Record<Name, Ratelimit>;
  /** IP → blocked-until (ms) for refresh failures, filled by the limiter itself; read without Redis. */
  private readonly refreshBlocked = new Map<string, number>();

  constructor(
    private readonly redis: Redis,
    private readonly rules: LimitRules,
  ) {
    const make = (name: Name, cache: Map<string, number> | false = new Map()) =>
      new Ratelimit({
        redis,
        prefix: prefixOf(name),
        limiter: Ratelimit.slidingWindow(rules[name].tokens, `${rules[name].windowSeconds} s`),
        ephemeralCache: cache,
        analytics: false,
        // No timeout of the limiter's own: it would let a request through when its timer won the race
        // against the Redis client's, which already bounds each call (REDIS_TIMEOUT_MS). A slow Redis
        // is then refused like an unreachable one: 503, never an uncounted attempt.
        timeout: 0,
      });
    this.limiters = Object.fromEntries(
      LIMIT_NAMES.filter((name): name is Name => name !== 'refreshPerSession').map((name) => [
        name,
        // Refused IPs are remembered in memory, so the next refresh from them is refused without Redis.
        make(name, LOCKOUT_WINDOWS.has(name) ? false : name === 'refreshFailuresPerIp' ? this.refreshBlocked : new Map()),
      ]),
    ) as Record<Name, Ratelimit>;
  }

  /**
   * Admits a sign-in attempt (or a password re-check). Every attempt counts per IP, which bounds sprays
   * across accounts and bursts of parallel guesses. Per account only failures count ({@link signInFailed}):
   * a person who signs in often is never locked out by their own successes. The account's windows are only
   * read here: per source IP (an attacker elsewhere cannot lock the owner out) and, far more loosely,
   * overall (distributed guessing). Every window slides, so no lockout is permanent.
   */
  async signIn(email: string, ip: string | undefined): Promise<void> {
    const from = ipBucket(ip);
    const [, ...accountChecks] = await Promise.all([
      this.enforce([['signInPerIp', from]]),
      this.limiters.signInPerAccountIp.getRemaining(tagged(`${email}|${from}`)),
      this.limiters.signInPerAccount.getRemaining(tagged(email)),
    ]);
    const rules: Name[] = ['signInPerAccountIp', 'signInPerAccount'];
    const exhausted = accountChecks
      .map((r, i) => ({ ...r, rule: rules[i]! }))
      .filter((r) => r.remaining <= 0)
      .sort((a, b) => b.reset - a.reset)[0];
    if (exhausted) throw limited(exhausted.rule, exhausted.reset, exhausted.limit);
  }

  /** Counts a failed sign-in (wrong password) toward the account's lockout windows, from this IP and overall. */
  async signInFailed(email: string, ip: string | undefined): Promise<void> {
    const from = ipBucket(ip);
    await Promise.all([
      this.limiters.signInPerAccountIp.limit(tagged(`${email}|${from}`)),
      this.limiters.signInPerAccount.limit(tagged(email)),
    ]);
  }

  /**
   * Forgets an account's failed sign-ins from this IP, and overall: the person just proved they own the
   * address (a completed reset or email verification), so earlier mistypes must not lock them out of the
   * new password. Other IPs' windows (an attacker's) stay. Deletes the sliding window's two keys
   * (`<prefix>:<id>:<window>`, @upstash/ratelimit's layout; limits.test.ts checks it still holds).
   */
  async clearSignInFailures(email: string, ip: string | undefined): Promise<void> {
    const windows: Array<[Name, string]> = [['signInPerAccount', email]];
    if (ip) windows.push(['signInPerAccountIp', `${email}|${ipBucket(ip)}`]);
    await Promise.all(
      windows.map(([name, id]) => {
        const current = Math.floor(Date.now() / (this.rules[name].windowSeconds * 1000));
        // Both keys share the identifier's hash tag: one DEL, one Redis Cluster slot.
        return this.redis.del(`${limiterKey(name, id)}:${current}`, `${limiterKey(name, id)}:${current - 1}`);
      }),
    );
  }

  /** Counts a sign-up attempt from an IP. */
  signUp(ip: string | undefined): Promise<void> {
    return this.enforce([['signUpPerIp', ipBucket(ip)]]);
  }

  /** Counts a password-reset request, per IP and per email address (known or not, so it reveals nothing). */
  passwordReset(email: string, ip: string | undefined): Promise<void> {
    return this.enforce([
      ['passwordResetPerIp', ipBucket(ip)],
      ['passwordResetPerAccount', email],
    ]);
  }

  /** Counts a verification email (sign-up, resend), per IP and per email address (known or not, so it reveals nothing). */
  emailVerification(email: string, ip: string | undefined): Promise<void> {
    return this.enforce([
      ['emailVerificationPerIp', ipBucket(ip)],
      ['emailVerificationPerAccount', email],
    ]);
  }

  /** Counts an accepted email change of a user (each mails two addresses). */
  emailChange(userId: string): Promise<void> {
    return this.enforce([['emailChangePerAccount', userId]]);
  }

  /** Counts a server-to-server OAuth call. */
  oauth(caller: string | undefined): Promise<void> {
    return this.enforce([['oauthPerCaller', ipBucket(caller)]]);
  }

  /**
   * Admits a second-factor attempt (a TOTP or recovery code, a passkey): every attempt counts per IP; the
   * account's failure window is only read here, and counted by {@link secondFactorFailed}.
   */
  async secondFactor(userId: string, ip: string | undefined): Promise<void> {
    const [, account] = await Promise.all([
      this.enforce([['secondFactorPerIp', ipBucket(ip)]]),
      this.limiters.secondFactorPerAccount.getRemaining(tagged(userId)),
    ]);
    if (account.remaining <= 0) throw limited('secondFactorPerAccount', account.reset, account.limit);
  }

  /** Counts a wrong second factor against the account; true when this failure used up the window (a streak). */
  async secondFactorFailed(userId: string): Promise<boolean> {
    const result = await this.limiters.secondFactorPerAccount.limit(tagged(userId));
    return result.success && result.remaining === 0;
  }

  /** Counts a WebAuthn challenge handed out to an IP. */
  passkeyChallenge(ip: string | undefined): Promise<void> {
    return this.enforce([['passkeyChallengesPerIp', ipBucket(ip)]]);
  }

  /** Refuses a refresh from an IP that recently failed too often; memory only, no Redis. */
  assertRefreshAllowed(ip: string | undefined): void {
    const until = this.refreshBlocked.get(limiterKey('refreshFailuresPerIp', ipBucket(ip)));
    if (until !== undefined && until > Date.now())
      throw limited('refreshFailuresPerIp', until, this.rules.refreshFailuresPerIp.tokens);
  }

  /** Counts a failed refresh (bad, expired, revoked or reused token) against its IP. */
  async refreshFailed(ip: string | undefined): Promise<void> {
    const id = ipBucket(ip);
    const result = await this.limiters.refreshFailuresPerIp.limit(tagged(id));
    // Block from the last allowed failure on, so the next refresh is refused without asking Redis.
    if (result.remaining === 0) this.refreshBlocked.set(limiterKey('refreshFailuresPerIp', id), result.reset);
  }

  private async enforce(checks: Array<[Name, string]>): Promise<void> {
    const results = await Promise.all(
      checks.map(async ([name, id]) => ({ ...(await this.limiters[name].limit(tagged(id))), rule: name })),
    );
    const denied = results.filter((r) => !r.success).sort((a, b) => b.reset - a.reset)[0];
    if (denied) throw limited(denied.rule, denied.reset, denied.limit);
  }
}

/**
 * The bucket an IP is counted in. IPv6 by its /64, which one subscriber gets whole (RFC 6177), so rotating
 * through it earns no fresh windows; IPv4 as it is. No IP is refused, never counted as a shared
 * "unknown": one client's failures would then lock out everyone else.
 */
export function ipBucket(ip: string | undefined): string {
  if (!ip) {
    throw new AuthError('client_unidentified', 'The client address is unknown, so this request cannot be rate-limited.');
  }
  if (!ip.includes(':')) return ip;
  const [head = '', tail = ''] = ip.split('::', 2) as [string, string?];
  const left = head ? head.split(':') : [];
  const right = ip.includes('::') && tail ? tail.split(':') : [];
  const groups = ip.includes('::') ? [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right] : left;
  return `${groups
    .slice(0, 4)
    .map((g) => (g || '0').toLowerCase().replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}

/** The refusal of one rule (counted by rule name: the telemetry's `auth.rate_limited`). */
function limited(rule: Name, resetMs: number, limit: number): AuthError {
  recordRateLimited(rule);
  const retryAfterSeconds = Math.max(1, Math.ceil((resetMs - Date.now()) / 1000));
  return new AuthError('rate_limited', `Too many attempts; try again in ${retryAfterSeconds} s.`, {
    retryAfterSeconds,
    limit,
  });
}
