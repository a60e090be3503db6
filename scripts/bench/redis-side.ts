/**
 * @module The Redis side of the benchmark: INFO commandstats snapshots (round trips per refresh),
 * the `redis-benchmark` EVALSHA ceiling with a script shaped like ours, and the same script through
 * the Upstash bridge with @upstash/redis, auto-pipelining on and off.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Redis as UpstashRedis } from '@upstash/redis';
import { Redis as IORedis } from 'ioredis';
import { ROTATE_SCRIPT } from '../../lib/tokens/rotation.lua';

const run = promisify(execFile);

/** Calls per command (lower-case name) since the server started. */
export type CommandStats = Map<string, number>;

/** Reads INFO commandstats. */
export async function commandStats(redis: IORedis): Promise<CommandStats> {
  const text = await redis.info('commandstats');
  const stats: CommandStats = new Map();
  for (const line of text.split('\n')) {
    const m = /^cmdstat_([^:]+):calls=(\d+)/.exec(line.trim());
    if (m?.[1] && m[2]) stats.set(m[1], Number(m[2]));
  }
  return stats;
}

/** Per-command call deltas between two snapshots, without the INFO calls that took them. */
export function commandDelta(before: CommandStats, after: CommandStats): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, calls] of after) {
    const d = calls - (before.get(name) ?? 0) - (name === 'info' ? 1 : 0);
    if (d > 0) out[name] = d;
  }
  return out;
}

/** The comparison in our rotate script that decides "this is the current token". */
const CURRENT_TOKEN_TEST = 'presented == f[2]';

/**
 * Our rotate script with its first "is this the current token" test forced true: every call takes
 * the rotate branch (TIME, HMGET, the per-session limit, HSET, HINCRBY, PEXPIREAT), so repeated calls
 * on the same keys cost what a real rotation costs instead of falling into the cheap "revoked" branch.
 */
export const ALWAYS_ROTATE_SCRIPT = ROTATE_SCRIPT.replace(CURRENT_TOKEN_TEST, 'true');
/** ARGV after the two hashes: grace ms, idle ms, per-session limit, limit window ms (as the app sends). */
const SCRIPT_ARGS = ['20000', '604800000', '9999999', '1000'];

const BENCH_KEYSPACE = 10_000;
const benchKey = (i: number | string) => `auth:{fam:bench:${typeof i === 'number' ? String(i).padStart(12, '0') : i}}`;

/** Creates the families the EVALSHA benchmarks rotate, and loads the script; returns its sha. */
export async function prepareScriptBench(redis: IORedis): Promise<string> {
  if (!ROTATE_SCRIPT.includes(CURRENT_TOKEN_TEST)) throw new Error('rotate script changed shape: update ALWAYS_ROTATE_SCRIPT');
  const now = Date.now();
  for (let i = 0; i < BENCH_KEYSPACE; i += 1000) {
    const p = redis.pipeline();
    for (let j = i; j < i + 1000; j++) {
      p.hset(benchKey(j), {
        st: 'active',
        uid: 'bench-user',
        prv: 'credentials',
        cur: 'x',
        created: now,
        lastUsed: now,
        absExp: now + 86_400_000,
        rot: 0,
      });
    }
    await p.exec();
  }
  return (await redis.script('LOAD', ALWAYS_ROTATE_SCRIPT)) as string;
}

const HASH = 'n4bQgYhMfWWaL-qgxVrQFaO_TxsrC4Is0V1sFbDwCgg'; // any 43-char base64url SHA-256, as the app sends

/** `redis-benchmark` EVALSHA of the rotate-shaped script over random families. */
export async function redisBenchmark(
  port: number,
  sha: string,
  requests: number,
  clients: number,
): Promise<{ rps: number; p50Ms: number | null; command: string }> {
  const args = [
    '-h',
    '127.0.0.1',
    '-p',
    String(port),
    '-n',
    String(requests),
    '-c',
    String(clients),
    '-P',
    '1',
    '-r',
    String(BENCH_KEYSPACE),
    '--csv',
    'evalsha',
    sha,
    '1',
    benchKey('__rand_int__'),
    HASH,
    HASH,
    ...SCRIPT_ARGS,
  ];
  const { stdout } = await run('redis-benchmark', args, { maxBuffer: 1 << 20 });
  // CSV: "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms",...
  const row = stdout.trim().split('\n').pop() ?? '';
  const cells = row.split(',').map((c) => c.replaceAll('"', ''));
  const rps = Number(cells[1]);
  if (!Number.isFinite(rps)) throw new Error(`redis-benchmark printed no result: ${stdout.slice(0, 300)}`);
  return { rps, p50Ms: Number(cells[4]) || null, command: `redis-benchmark ${args.join(' ')}` };
}

/** The same script through the bridge with @upstash/redis from `concurrency` concurrent loops. */
export async function bridgeScriptThroughput(opts: {
  url: string;
  token: string;
  autoPipelining: boolean;
  concurrency: number;
  seconds: number;
}): Promise<number> {
  const redis = new UpstashRedis({
    url: opts.url,
    token: opts.token,
    automaticDeserialization: false,
    enableTelemetry: false,
    enableAutoPipelining: opts.autoPipelining,
  });
  const script = redis.createScript<unknown[]>(ALWAYS_ROTATE_SCRIPT);
  await script.exec([benchKey(0)], [HASH, HASH, ...SCRIPT_ARGS]); // loads it (EVAL fallback) if needed
  let n = 0;
  const started = performance.now();
  const until = started + opts.seconds * 1000;
  await Promise.all(
    Array.from({ length: opts.concurrency }, async (_, lane) => {
      for (let i = lane; performance.now() < until; i += opts.concurrency) {
        await script.exec([benchKey(i % BENCH_KEYSPACE)], [HASH, HASH, ...SCRIPT_ARGS]);
        n++;
      }
    }),
  );
  return n / ((performance.now() - started) / 1000);
}
