/** @module Command-line options of the refresh-rotation load test (`npm run loadtest -- --help`). */
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** Everything one load-test run is configured by. */
export interface LoadTestOptions {
  url: string;
  durationSeconds: number;
  concurrency: number;
  sessions: number;
  users: number;
  raceShare: number;
  attackerShare: number;
  lossyShare: number;
  graceSeconds: number;
  setupConcurrency: number;
  timeoutMs: number;
  out: string | undefined;
  progress: boolean;
  redisUrl: string | undefined;
  redisRestUrl: string | undefined;
  redisRestToken: string | undefined;
  password: string;
}

export const HELP = `Refresh-token rotation load test with a correctness audit.

Usage: npm run loadtest -- [options]

  --url URL              base URL of the app (standalone API or next start)   [http://127.0.0.1:8787]
  --duration S           seconds of refresh traffic                            [20]
  --concurrency C        concurrent client loops                               [200]
  --sessions N           sessions (signed-in devices) to create                [500]
  --users U              users the sessions belong to (sign-ups)               [= sessions]
  --race-share F         share of clients that send the same token 2-5x at once [0.1]
  --attacker-share F     share of clients that replay a stolen token after the grace window [0.05]
  --lossy-share F        share of clients that drop every third refresh response and retry it
                         after the grace window (must be recovered, not refused)  [0]
  --grace S              the server's REFRESH_GRACE_SECONDS (must match it!)   [20]
                         Start the server with a small grace (e.g. 1) so attacks finish in time.
  --setup-concurrency K  parallel sign-ups/sign-ins while creating sessions    [8]
  --timeout MS           per-request timeout                                   [15000]
  --redis-url URL        redis-server to audit (ioredis)                       [redis://127.0.0.1:6379]
  --redis-rest-url URL   audit through an Upstash REST endpoint instead (with --redis-rest-token)
  --no-audit-redis       skip the Redis side of the audit
  --out FILE             write the JSON result here
  --progress             live progress line on stderr even when it is not a TTY
  -h, --help             this text

Sign-in runs PBKDF2 on the server: for many sessions start it with a lower
PASSWORD_PBKDF2_ITERATIONS (e.g. 1000, outside production), or be patient.
Exit status: 0 = audit clean, 1 = audit violation, 2 = bad usage or setup failure.`;

/** Thrown for bad command-line input; run.ts prints it with the help hint. */
export class UsageError extends Error {}

/** A numeric option: `fallback` when absent, a UsageError naming it when not a number in [min, max]. */
export function num(
  value: string | undefined,
  name: string,
  fallback: number,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || n > max)
    throw new UsageError(`--${name} must be a number in [${min}, ${max}], got "${value}"`);
  return n;
}

/** node:util's parseArgs, with its errors (unknown or malformed options) turned into UsageErrors. */
export function parseUsage<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** Parses argv (without node and script); returns null when --help was asked for. */
export function parseOptions(argv: string[]): LoadTestOptions | null {
  const parsed = parseUsage({
    args: argv,
    allowPositionals: false,
    options: {
      url: { type: 'string' },
      duration: { type: 'string' },
      concurrency: { type: 'string' },
      sessions: { type: 'string' },
      users: { type: 'string' },
      'race-share': { type: 'string' },
      'attacker-share': { type: 'string' },
      'lossy-share': { type: 'string' },
      grace: { type: 'string' },
      'setup-concurrency': { type: 'string' },
      timeout: { type: 'string' },
      'redis-url': { type: 'string' },
      'redis-rest-url': { type: 'string' },
      'redis-rest-token': { type: 'string' },
      'no-audit-redis': { type: 'boolean' },
      out: { type: 'string' },
      progress: { type: 'boolean' },
      password: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const v = parsed.values;
  if (v.help) return null;
  const sessions = Math.floor(num(v.sessions, 'sessions', 500, 1, 1_000_000));
  const options: LoadTestOptions = {
    url: (v.url ?? 'http://127.0.0.1:8787').replace(/\/+$/, ''),
    durationSeconds: num(v.duration, 'duration', 20, 0.5, 3600),
    concurrency: Math.floor(num(v.concurrency, 'concurrency', 200, 1, 100_000)),
    sessions,
    users: Math.floor(num(v.users, 'users', sessions, 1, sessions)),
    raceShare: num(v['race-share'], 'race-share', 0.1, 0, 1),
    attackerShare: num(v['attacker-share'], 'attacker-share', 0.05, 0, 1),
    lossyShare: num(v['lossy-share'], 'lossy-share', 0, 0, 1),
    graceSeconds: num(v.grace, 'grace', 20, 0, 120),
    setupConcurrency: Math.floor(num(v['setup-concurrency'], 'setup-concurrency', 8, 1, 1000)),
    timeoutMs: Math.floor(num(v.timeout, 'timeout', 15_000, 100, 600_000)),
    out: v.out,
    progress: Boolean(v.progress) || Boolean(process.stderr.isTTY),
    redisUrl: v['no-audit-redis'] || v['redis-rest-url'] ? undefined : (v['redis-url'] ?? 'redis://127.0.0.1:6379'),
    redisRestUrl: v['no-audit-redis'] ? undefined : v['redis-rest-url'],
    redisRestToken: v['redis-rest-token'],
    password: v.password ?? 'load-test-password-1',
  };
  if (!/^https?:\/\//.test(options.url)) throw new UsageError(`--url must be an http(s) URL, got "${options.url}"`);
  if (options.raceShare + options.attackerShare + options.lossyShare > 1) {
    throw new UsageError('--race-share + --attacker-share + --lossy-share must not exceed 1');
  }
  if (options.redisRestUrl && !options.redisRestToken) throw new UsageError('--redis-rest-url needs --redis-rest-token');
  return options;
}
