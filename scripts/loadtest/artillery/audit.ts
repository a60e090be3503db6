/**
 * @module `tsx scripts/loadtest/artillery/audit.ts --report FILE --run-id ID (--redis-url URL | --redis-rest-url URL
 * --redis-rest-token T)`: the Redis-side audit of an Artillery run of refresh-chains.yml. The processor's
 * counters (summed over all workers, so distributed runs work alike) are checked against the run's families
 * in Redis, found by the run id their sessions carry as User-Agent, and read with the load test's
 * `readFamilies` (scripts/loadtest/audit.ts): honest sessions must still be active, replayed ones revoked,
 * no stale replay accepted, and the rotations in Redis must match the answers the clients saw.
 * Exits 1 on a violation, 2 when the run or the audit could not be done.
 */
import { readFile } from 'node:fs/promises';
import { Redis as UpstashRedis } from '@upstash/redis';
import { Redis as IORedis } from 'ioredis';
import { familyKey } from '../../../lib/redis/keys';
import { readFamilies, type RedisTarget } from '../audit';
import { parseUsage, UsageError } from '../options';

const HELP = `Redis-side audit of an Artillery run of scripts/loadtest/artillery/refresh-chains.yml.

Usage: tsx scripts/loadtest/artillery/audit.ts --report FILE --run-id ID (--redis-url URL | --redis-rest-url URL --redis-rest-token T)
  --report FILE        JSON written by \`artillery run --output FILE\` (or run-lambda / run-fargate --output)
  --run-id ID          the run id given to the scenario (--variables)
  --redis-url URL      the Redis the API uses (redis://), or
  --redis-rest-url URL and --redis-rest-token T: its Upstash REST endpoint`;

/** Family keys are `${prefix}${id}${suffix}`. */
const [KEY_PREFIX, KEY_SUFFIX] = familyKey('\0').split('\0') as [string, string];

/** A family of the run: its id, and which kind of virtual user owned it (null once revoked: revocation drops the User-Agent). */
interface RunFamily {
  id: string;
  kind: string | null;
}

/**
 * The run's families, via SCAN over the family keys: those whose session's User-Agent carries the run's tag,
 * and every other family of the same user (the run signs up a user of its own): revoked families keep
 * their user id but not their User-Agent.
 */
async function runFamilies(target: RedisTarget, runId: string): Promise<RunFamily[]> {
  const tag = `artillery-audit/${runId}/`;
  const match = familyKey('*');
  const keys: string[] = [];
  const fields: [unknown, unknown][] = [];
  if (target.kind === 'ioredis') {
    const redis = new IORedis(target.url, { lazyConnect: true, maxRetriesPerRequest: 2 });
    try {
      await redis.connect();
      let cursor = '0';
      do {
        const [next, batch] = await redis.scan(cursor, 'MATCH', match, 'COUNT', 1000);
        cursor = next;
        if (batch.length === 0) continue;
        const p = redis.pipeline();
        for (const key of batch) p.hmget(key, 'uid', 'ua');
        for (const [error, value] of (await p.exec()) ?? []) {
          if (error) throw error;
          fields.push(value as [unknown, unknown]);
        }
        keys.push(...batch);
      } while (cursor !== '0');
    } finally {
      redis.disconnect();
    }
  } else {
    const redis = new UpstashRedis({
      url: target.url,
      token: target.token,
      automaticDeserialization: false,
      enableAutoPipelining: false,
    });
    let cursor = '0';
    do {
      const [next, batch] = await redis.scan(cursor, { match, count: 1000 });
      cursor = String(next);
      if (batch.length === 0) continue;
      const p = redis.pipeline();
      for (const key of batch) p.hmget(key, 'uid', 'ua');
      // Without automatic deserialization, @upstash/redis answers HMGET as Redis does: the values in order.
      for (const [uid, ua] of await p.exec<(string | null)[][]>()) fields.push([uid, ua]);
      keys.push(...batch);
    } while (cursor !== '0');
  }
  const tagOf = (ua: unknown) => (typeof ua === 'string' && ua.startsWith(tag) ? ua.slice(tag.length) : null);
  const users = new Set(fields.filter(([, ua]) => tagOf(ua) !== null).map(([uid]) => String(uid)));
  return keys.flatMap((key, i) => {
    const [uid, ua] = fields[i] ?? [];
    return users.has(String(uid)) ? [{ id: key.slice(KEY_PREFIX.length, key.length - KEY_SUFFIX.length), kind: tagOf(ua) }] : [];
  });
}

/** The verdict; every number under `violations` must be 0. */
export interface ArtilleryAudit {
  violations: {
    honestWronglyRevoked: number;
    staleReplaysAcceptedAfterGrace: number;
    attackedFamiliesNotRevoked: number;
    badSuccessBodies: number;
    rotationMismatch: number;
  };
  chains: { honest: { started: number; completed: number }; thief: { started: number; completed: number } };
  families: { total: number; honest: number; honestNotActive: number; revoked: number };
  rotations: { observed: number; redis: number; unfinishedChains: number; match: boolean };
  replays: { attempted: number; refused: number; victimsRefused: number };
  inconclusive: number;
  errors: Record<string, number>;
  ok: boolean;
}

/** Judges the processor's counters against the run's families as stored in Redis. */
export function judge(
  counters: Record<string, number>,
  families: (RunFamily & { st: string | null; rot: number | null })[],
): ArtilleryAudit {
  const c = (name: string) => counters[`audit.${name}`] ?? 0;
  const honest = families.filter((f) => f.kind === 'honest');
  const honestNotActive = honest.filter((f) => f.st !== 'active').length;
  // Each refused replay revokes exactly its family: more revoked families than that means honest ones were revoked.
  const revoked = families.filter((f) => f.st === 'revoked').length;
  const replaysRefused = c('replays_refused');
  const chains = {
    honest: { started: c('chains_started.honest'), completed: c('chains_completed.honest') },
    thief: { started: c('chains_started.thief'), completed: c('chains_completed.thief') },
  };
  // A chain that did not finish stopped at its first lost or inconclusive answer: at most one rotation unseen.
  const unfinishedChains = chains.honest.started - chains.honest.completed + (chains.thief.started - chains.thief.completed);
  const observed = c('rotations');
  const redis = families.reduce((n, f) => n + (f.rot ?? 0), 0);
  const match = unfinishedChains === 0 ? redis === observed : redis >= observed && redis <= observed + unfinishedChains;
  const violations = {
    honestWronglyRevoked: c('honest_refused') + honestNotActive + Math.max(0, revoked - replaysRefused),
    staleReplaysAcceptedAfterGrace: c('stale_replays_accepted'),
    attackedFamiliesNotRevoked: Math.max(0, replaysRefused - revoked) + c('victims_still_work'),
    badSuccessBodies: c('bad_success_bodies'),
    rotationMismatch: match ? 0 : 1,
  };
  const errors = Object.fromEntries(Object.entries(counters).filter(([name]) => name.startsWith('errors.')));
  return {
    violations,
    chains,
    families: { total: families.length, honest: honest.length, honestNotActive, revoked },
    rotations: { observed, redis, unfinishedChains, match },
    replays: { attempted: c('replays'), refused: replaysRefused, victimsRefused: c('victims_refused') },
    inconclusive: c('inconclusive'),
    errors,
    ok: Object.values(violations).every((n) => n === 0),
  };
}

/** Reads the run's families from Redis and judges the counters against them. */
export async function auditRun(counters: Record<string, number>, target: RedisTarget, runId: string): Promise<ArtilleryAudit> {
  const found = await runFamilies(target, runId);
  const records = await readFamilies(
    target,
    found.map((f) => f.id),
  );
  return judge(
    counters,
    found.map((f, i) => ({ ...f, st: records[i]?.st ?? null, rot: records[i]?.rot ?? null })),
  );
}

function format(a: ArtilleryAudit, report: ArtilleryReport): string {
  const agg = report.aggregate;
  const rt = agg.summaries?.['http.response_time'];
  const seconds = agg.firstCounterAt && agg.lastCounterAt ? (agg.lastCounterAt - agg.firstCounterAt) / 1000 : null;
  const requests = agg.counters['http.requests'] ?? 0;
  return [
    `artillery: ${requests} requests${seconds ? ` in ${seconds.toFixed(1)} s (${Math.round(requests / seconds)} req/s)` : ''}` +
      (rt ? `, latency p50 ${rt.p50} / p95 ${rt.p95} / p99 ${rt.p99} / max ${rt.max} ms` : ''),
    `chains: honest ${a.chains.honest.completed}/${a.chains.honest.started} finished, thieves ${a.chains.thief.completed}/${a.chains.thief.started}; ` +
      `families in Redis: ${a.families.total} (${a.families.honest} honest and active: ${a.families.honest - a.families.honestNotActive})`,
    `rotations: Redis ${a.rotations.redis}, answers seen ${a.rotations.observed}` +
      (a.rotations.unfinishedChains ? ` (${a.rotations.unfinishedChains} unfinished chains may hide one each)` : '') +
      ` → ${a.rotations.match ? 'match' : 'MISMATCH'}`,
    `replays after grace: ${a.replays.refused} of ${a.replays.attempted} refused, ${a.families.revoked} families revoked in Redis, ` +
      `${a.replays.victimsRefused} victims signed out`,
    `inconclusive answers (429/5xx): ${a.inconclusive}; errors: ${
      Object.entries(a.errors)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ') || 'none'
    }`,
    `violations: ${Object.entries(a.violations)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')}`,
    a.ok ? 'audit OK' : 'AUDIT FAILED',
  ].join('\n');
}

/** What this audit reads of `artillery run --output`. */
interface ArtilleryReport {
  aggregate: {
    counters: Record<string, number>;
    summaries?: Record<string, { p50: number; p95: number; p99: number; max: number }>;
    firstCounterAt?: number;
    lastCounterAt?: number;
  };
}

async function main(): Promise<number> {
  const { values: v } = parseUsage({
    options: {
      report: { type: 'string' },
      'run-id': { type: 'string' },
      'redis-url': { type: 'string' },
      'redis-rest-url': { type: 'string' },
      'redis-rest-token': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (v.help) {
    console.log(HELP);
    return 0;
  }
  if (!v.report || !v['run-id']) throw new UsageError('--report and --run-id are required');
  const target: RedisTarget | undefined = v['redis-url']
    ? { kind: 'ioredis', url: v['redis-url'] }
    : v['redis-rest-url'] && v['redis-rest-token']
      ? { kind: 'rest', url: v['redis-rest-url'], token: v['redis-rest-token'] }
      : undefined;
  if (!target) throw new UsageError('give --redis-url, or --redis-rest-url and --redis-rest-token');
  const report = JSON.parse(await readFile(v.report, 'utf8')) as ArtilleryReport;
  const audit = await auditRun(report.aggregate.counters, target, v['run-id']);
  console.log(format(audit, report));
  if (audit.chains.honest.started === 0) {
    console.error('no chain started: see the Artillery output (sign-in failed?)');
    return 2;
  }
  return audit.ok ? 0 : 1;
}

if (process.argv[1]?.endsWith('scripts/loadtest/artillery/audit.ts')) {
  try {
    process.exitCode = await main();
  } catch (error) {
    const usage = error instanceof UsageError;
    console.error(`artillery audit: ${(error as Error).message}${usage ? ' (see --help)' : ''}`);
    process.exitCode = 2;
  }
}
