/**
 * @module `npm run bench`: starts its own redis-server, bridge and API, then measures side by side in
 * one run: refresh vs no-op throughput, Redis commands and DB queries per refresh, jose and codec
 * costs, sign-in throughput at the configured PBKDF2 iterations, the redis-benchmark EVALSHA ceiling,
 * the bridge with and without auto-pipelining, and a CPU profile of API and bridge under refresh load.
 */
import { measureEnumerationTiming, type EnumerationTiming } from './enumeration';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Redis as IORedis } from 'ioredis';
import { familyKey } from '../../lib/redis/keys';
import { FAMILY_FIELDS } from '../../lib/tokens/family';
import { ROTATE_SCRIPT } from '../../lib/tokens/rotation.lua';
import { migrate } from '../../lib/db/migrator';
import { freshSecrets } from '../../lib/config/secrets';
import { JsonClient } from '../loadtest/http';
import { num, parseUsage, UsageError } from '../loadtest/options';
import { createSessions } from '../loadtest/setup';
import { runLoad, type BenchSession, type LoadResult } from './load';
import { dbCounters, dbDelta, median, startCpuAccounting, type CpuReport, type DbCounters } from './measure';
import { runMicro, type MicroResults } from './micro';
import { formatProfile, summarizeProfile, type ProfileSummary } from './profile';
import { bridgeScriptThroughput, commandDelta, commandStats, prepareScriptBench, redisBenchmark } from './redis-side';
import { benchEnv, pinCpus, startBenchRedis, startTs, stopAll, waitForUrl, type CpuPlan, type Proc } from './stack';
import { freePort } from '../../test/support/processes';

const HELP = `Benchmark of the refresh path (starts its own redis-server, bridge and API).

Usage: npm run bench -- [options]
  --connections C      concurrent connections for no-op and refresh          [50]
  --seconds S          measured seconds per HTTP phase                        [10]
  --warmup S           unmeasured load before each route's first phase        [5]
  --rounds N           rounds of (no-op, refresh) for the server CPU ratio    [12]
  --round-seconds S    seconds per phase of rounds 2..N (round 1 is the      [4]
                       main phases above), back to back, order alternating
  --iterations N       PASSWORD_PBKDF2_ITERATIONS of the server (≥ 600000,   [600000]
                       the server runs with NODE_ENV=production)
  --redis-requests N   redis-benchmark -n                                     [200000]
  --profile-seconds S  refresh load while the CPU profiles record (0 = skip)  [8]
  --workers N          API_WORKERS of the API (profiles need 1)               [1]
  --shared-cpus        let the API share CPUs with the load generator, bridge and redis-server
                       (by default it gets as many CPUs of its own as it has workers, if one is left)
  --out FILE           JSON result                                            [bench-results/bench.json]
  --database-url URL   PostgreSQL database for the users   [postgresql://postgres@127.0.0.1:5432/authbench]`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const round = (v: number, digits = 0) => Math.round(v * 10 ** digits) / 10 ** digits;
const log = (line: string) => console.error(`[bench] ${line}`);

/** Everything one benchmark run measured. */
export interface BenchResult {
  version: 1;
  startedAt: string;
  machine: { nproc: number; cpu: string; node: string };
  settings: {
    connections: number;
    seconds: number;
    warmupSeconds: number;
    rounds: number;
    roundSeconds: number;
    iterations: number;
    redisRequests: number;
    workers: number;
    /** The API's own CPUs and the CPUs the rest shares, or null when they shared all of them. */
    cpus: CpuPlan | null;
  };
  signIn: { sessions: number; concurrency: number; perSecond: number };
  enumeration: EnumerationTiming;
  noop: LoadResult & { cpu: CpuReport };
  refresh: LoadResult & { cpu: CpuReport };
  refreshToNoop: number;
  /** CPU µs per successful request during each phase, by process, and the whole machine's. */
  cpuPerRequest: { noop: RequestCpu; refresh: RequestCpu };
  /** no-op ÷ refresh machine CPU per request: the ratio the cores allow when both phases are CPU-bound. */
  cpuBoundRatio: number;
  /** The API server's CPU per refresh ÷ its CPU per no-op request, same run (target ≤ 4): the median of the rounds. */
  serverCpuRatio: number;
  /** That ratio in each round of back-to-back no-op and refresh phases, the first round first. */
  serverCpuRounds: number[];
  redis: {
    rotations: number;
    commands: Record<string, number>;
    evalshaPerRotation: number;
    /** Top-level commands (not issued from inside the rotate script) per rotation: the round trips. */
    roundTripsPerRotation: number;
    topLevelCommands: Record<string, number>;
    benchmarkEvalshaPerSecond: number;
    benchmarkCommand: string;
    refreshShareOfCeiling: number;
    bridgeAutoPipelinePerSecond: number;
    bridgeNoPipelinePerSecond: number;
  };
  db: { delta: DbCounters; queriesPerRefresh: number };
  micro: MicroResults;
  profiles: Record<string, ProfileSummary>;
}

/** CPU µs per request of one phase. */
export interface RequestCpu {
  api: number;
  bridge: number;
  redis: number;
  loadGenerator: number;
  /** All of the above (what the machine spends per request, wherever it runs). */
  total: number;
}

/** CPU µs per successful request of a phase, from its CPU report. */
function perRequest(run: LoadResult & { cpu: CpuReport }): RequestCpu {
  const us = (seconds: number | null | undefined) => round(((seconds ?? 0) * 1e6) / Math.max(1, run.ok), 1);
  const p = run.cpu.processes;
  const parts = { api: us(p.api), bridge: us(p.bridge), redis: us(p.redis), loadGenerator: us(run.cpu.loadGenerator) };
  return { ...parts, total: round(parts.api + parts.bridge + parts.redis + parts.loadGenerator, 1) };
}

async function machine() {
  const { readFile } = await import('node:fs/promises');
  const { availableParallelism } = await import('node:os');
  const cpu = /model name\s*:\s*(.+)/.exec(await readFile('/proc/cpuinfo', 'utf8').catch(() => ''))?.[1] ?? 'unknown';
  return { nproc: availableParallelism(), cpu, node: process.version };
}

/** Presents tokens whose answer was lost when a run ended; inside the grace window this returns the successor. */
export async function repairSessions(client: JsonClient, sessions: BenchSession[]): Promise<BenchSession[]> {
  await Promise.all(
    sessions
      .filter((s) => s.inflight)
      .map(async (s) => {
        const r = await client.post('/api/v1/auth/refresh-token', { refresh_token: s.token });
        const token = (r.body as { refresh_token?: string } | null)?.refresh_token;
        if (r.status === 200 && token) {
          s.token = token;
          s.inflight = false;
        }
      }),
  );
  return sessions.filter((s) => !s.inflight);
}

async function rotationSum(redis: IORedis, sessions: BenchSession[]): Promise<number> {
  const p = redis.pipeline();
  for (const s of sessions) p.hget(familyKey(s.id), FAMILY_FIELDS.rotations);
  return ((await p.exec()) ?? []).reduce((n, [, v]) => n + Number(v ?? 0), 0);
}

async function main(): Promise<void> {
  const { values: v } = parseUsage({
    options: {
      connections: { type: 'string' },
      seconds: { type: 'string' },
      warmup: { type: 'string' },
      rounds: { type: 'string' },
      'round-seconds': { type: 'string' },
      iterations: { type: 'string' },
      'redis-requests': { type: 'string' },
      'profile-seconds': { type: 'string' },
      workers: { type: 'string' },
      'shared-cpus': { type: 'boolean' },
      out: { type: 'string' },
      'database-url': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (v.help) return console.log(HELP);
  const connections = num(v.connections, 'connections', 50, 1, 10_000);
  const seconds = num(v.seconds, 'seconds', 10, 1, 3_600);
  // V8 is still compiling the refresh path for several seconds: a perf profile 2–6 s into refresh load
  // found ~8 % of the API's CPU in the optimizing compiler, ~1 % after 15 s. Steady state is what is measured.
  const warmupSeconds = num(v.warmup, 'warmup', 5, 0, 600);
  const rounds = num(v.rounds, 'rounds', 12, 1, 100);
  const roundSeconds = num(v['round-seconds'], 'round-seconds', 4, 1, 600);
  const iterations = num(v.iterations, 'iterations', 600_000, 600_000, 10_000_000);
  const redisRequests = num(v['redis-requests'], 'redis-requests', 200_000, 1);
  const workers = num(v.workers, 'workers', 1, 1, 64);
  // A profile of the primary process would show only the cluster's plumbing.
  const profileSeconds = workers > 1 ? 0 : num(v['profile-seconds'], 'profile-seconds', 8, 0, 3_600);
  const out = v.out ?? 'bench-results/bench.json';
  const databaseUrl = v['database-url'] ?? process.env.BENCH_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/authbench';
  const database = decodeURIComponent(new URL(databaseUrl).pathname.slice(1));

  const host = await machine(); // before pinning, which narrows what this process sees
  const cpus = v['shared-cpus'] ? undefined : pinCpus(workers);
  const startedAt = new Date().toISOString();
  const logDir = join('tmp', 'bench', startedAt.replace(/[:.]/g, '-'));
  await mkdir(logDir, { recursive: true });
  const [redisPort, bridgePort, apiPort] = [await freePort(), await freePort(), await freePort()];

  // A private redis-server: INFO commandstats then counts only this benchmark's commands.
  const { proc: redisProc, redis } = await startBenchRedis(redisPort, logDir);
  await migrate({ url: databaseUrl, log: () => {} });

  const secrets = await freshSecrets();
  const token = crypto.randomUUID();
  const backends = { redisPort, bridgePort, token, databaseUrl, secrets };
  const env = (port: number) =>
    benchEnv(backends, port, { PASSWORD_PBKDF2_ITERATIONS: String(iterations), API_WORKERS: String(workers) });
  const startServers = async (flags: (name: string) => string[]): Promise<[Proc, Proc]> => {
    const bridge = startTs('bridge', 'tools/upstash-bridge/server.ts', env(apiPort), logDir, flags('bridge'));
    await waitForUrl(`http://127.0.0.1:${bridgePort}/health`, 60, bridge);
    const api = startTs('api', 'api/_hono/server.ts', env(apiPort), logDir, flags('api'), cpus?.api);
    await waitForUrl(`http://127.0.0.1:${apiPort}/api/v1/noop`, 60, api);
    return [bridge, api];
  };
  let [bridge, api] = await startServers(() => []);
  const url = `http://127.0.0.1:${apiPort}`;
  const client = new JsonClient(url, 64, 60_000);

  // Sign-in at the configured PBKDF2 cost; its sessions are the ones the refresh phases rotate.
  const signinConcurrency = 4;
  const sessionCount = connections + Math.ceil(connections / 5);
  log(`signing in ${sessionCount} sessions at ${iterations} PBKDF2 iterations...`);
  const runId = `b${Date.now().toString(36)}`;
  const created = await createSessions(client, {
    users: 1,
    sessions: sessionCount,
    concurrency: signinConcurrency,
    password: 'bench-password-1',
    runId,
  });
  let sessions: BenchSession[] = created.ids.map((id, i) => ({
    id,
    token: created.tokens[i] ?? '',
    inflight: false,
    rotations: 0,
    failures: 0,
  }));
  const signIn = {
    sessions: sessionCount,
    concurrency: signinConcurrency,
    perSecond: round(sessionCount / (created.signinMs / 1000), 2),
  };
  log('wrong-password sign-in timing, known vs unknown email...');
  // The same address createSessions registered (scripts/loadtest/setup.ts), so "known" really exists.
  const enumeration = await measureEnumerationTiming(client, `loadtest-${runId}-0@loadtest.example.com`, 20);

  const measureNoop = async () => {
    if (warmupSeconds > 0) await runLoad({ url, route: 'noop', connections, seconds: warmupSeconds });
    const cpu = await startCpuAccounting([api, bridge, redisProc]);
    const result = await runLoad({ url, route: 'noop', connections, seconds });
    return { ...result, cpu: await cpu() };
  };

  log(`no-op route, ${connections} connections, ${seconds} s...`);
  const noop = await measureNoop();
  log(`refresh route, ${connections} connections, ${seconds} s...`);
  if (warmupSeconds > 0) await runLoad({ url, route: 'refresh', connections, seconds: warmupSeconds, sessions });
  sessions = await repairSessions(client, sessions);
  await sleep(1500); // let PostgreSQL flush the sign-in phase's statistics
  const rot0 = await rotationSum(redis, sessions);
  const db0 = await dbCounters(databaseUrl, database);
  const cmd0 = await commandStats(redis);
  const cpu = await startCpuAccounting([api, bridge, redisProc]);
  const refreshRun = await runLoad({ url, route: 'refresh', connections, seconds, sessions });
  const refreshCpu = await cpu();
  await sleep(1500); // answers still in flight land; backends flush their statistics
  const cmd1 = await commandStats(redis);
  const db1 = await dbCounters(databaseUrl, database);
  const rot1 = await rotationSum(redis, sessions);
  sessions = await repairSessions(client, sessions);
  const refresh = { ...refreshRun, cpu: refreshCpu };
  const cpuPerRequest = { noop: perRequest(noop), refresh: perRequest(refresh) };
  const rotations = rot1 - rot0;
  const commands = commandDelta(cmd0, cmd1);
  // Commands the rotate script issues itself show up in commandstats too, but are not round trips.
  const inScript = new Set([...ROTATE_SCRIPT.matchAll(/redis\.call\('([A-Z]+)'/g)].map((m) => (m[1] ?? '').toLowerCase()));
  const topLevel = Object.entries(commands).filter(([name]) => !inScript.has(name));
  const roundTrips = topLevel.reduce((n, [, c]) => n + c, 0);
  const dbDeltaValue = dbDelta(db0, db1);

  // This VM's speed drifts by ±20 % within minutes, and from one 10 s phase to the next, so the ratio is also
  // taken in many short rounds: each a no-op and a refresh phase back to back, the order alternating so that
  // a steady drift favours neither route. Both routes are warm by now. The median of the rounds is printed
  // (round 1 is the phases above).
  const apiRatio = (perRefresh: number, perNoop: number) => perRefresh / Math.max(0.1, perNoop);
  const serverCpuRounds = [apiRatio(cpuPerRequest.refresh.api, cpuPerRequest.noop.api)];
  const apiCpuPerRequest = async (route: 'noop' | 'refresh'): Promise<number> => {
    const cpu = await startCpuAccounting([api]);
    const result = await runLoad({ url, route, connections, seconds: roundSeconds, sessions });
    const report = await cpu();
    sessions = await repairSessions(client, sessions);
    return perRequest({ ...result, cpu: report }).api;
  };
  if (rounds > 1) log(`server CPU rounds 2–${rounds}: no-op and refresh, ${roundSeconds} s each...`);
  for (let r = 2; r <= rounds; r++) {
    const [first, second] = r % 2 === 0 ? (['refresh', 'noop'] as const) : (['noop', 'refresh'] as const);
    const a = await apiCpuPerRequest(first);
    const b = await apiCpuPerRequest(second);
    serverCpuRounds.push(first === 'refresh' ? apiRatio(a, b) : apiRatio(b, a));
  }

  log('micro-benchmarks (signing, refresh-token codec; Node and edge implementations)...');
  const micro = await runMicro(secrets.ACCESS_TOKEN_SIGNING_KEYS ?? '', secrets.REFRESH_TOKEN_SECRET ?? '', 2);

  log(`redis-benchmark -n ${redisRequests} -c 50 EVALSHA (rotate-shaped script)...`);
  const sha = await prepareScriptBench(redis);
  const ceiling = await redisBenchmark(redisPort, sha, redisRequests, 50);
  log('the same script through the bridge with @upstash/redis...');
  const viaBridge = (autoPipelining: boolean) =>
    bridgeScriptThroughput({
      url: `http://127.0.0.1:${bridgePort}`,
      token,
      autoPipelining,
      concurrency: connections,
      seconds: 4,
    });
  const bridgeAuto = await viaBridge(true);
  const bridgePlain = await viaBridge(false);

  const profiles: Record<string, ProfileSummary> = {};
  if (profileSeconds > 0) {
    log(`CPU profiles of API and bridge under ${profileSeconds} s of refresh load...`);
    await api.stop();
    await bridge.stop();
    const profDir = (name: string) => join(logDir, `prof-${name}`);
    [bridge, api] = await startServers((name) => ['--cpu-prof', `--cpu-prof-dir=${profDir(name)}`]);
    await runLoad({ url, route: 'refresh', connections, seconds: 1, sessions }); // JIT warm-up, not counted
    const loadFrom = performance.now();
    await runLoad({ url, route: 'refresh', connections, seconds: profileSeconds, sessions });
    const loadTo = performance.now();
    // Only the load phase counts: start-up (module loading, tsx compiling) is not the refresh path.
    const windowOf = (p: Proc) => ({ fromMs: loadFrom - p.startedAt, toMs: loadTo - p.startedAt });
    const procs: Record<string, Proc> = { api, bridge };
    sessions = await repairSessions(client, sessions);
    await api.stop();
    await bridge.stop();
    for (const name of ['api', 'bridge']) {
      const files = (await readdir(profDir(name)).catch(() => [] as string[])).filter((f) => f.endsWith('.cpuprofile'));
      // tsx may leave a short-lived helper profile too; the server is the biggest one.
      const summaries = await Promise.all(
        files.map((f) => summarizeProfile(join(profDir(name), f), 15, procs[name] && windowOf(procs[name]))),
      );
      const main = summaries.sort((a, b) => b.busyMs - a.busyMs)[0];
      if (main) profiles[name] = main;
    }
  }
  client.close();
  redis.disconnect();

  const result: BenchResult = {
    version: 1,
    startedAt,
    machine: host,
    settings: {
      connections,
      seconds,
      warmupSeconds,
      rounds,
      roundSeconds,
      iterations,
      redisRequests,
      workers,
      cpus: cpus ?? null,
    },
    signIn,
    enumeration,
    noop,
    refresh,
    refreshToNoop: round(refresh.okPerSecond / noop.okPerSecond, 3),
    cpuPerRequest,
    cpuBoundRatio: round(cpuPerRequest.noop.total / Math.max(1, cpuPerRequest.refresh.total), 3),
    serverCpuRatio: round(median(serverCpuRounds), 2),
    serverCpuRounds: serverCpuRounds.map((x) => round(x, 2)),
    redis: {
      rotations,
      commands,
      evalshaPerRotation: round((commands.evalsha ?? 0) / Math.max(1, rotations), 4),
      roundTripsPerRotation: round(roundTrips / Math.max(1, rotations), 4),
      topLevelCommands: Object.fromEntries(topLevel),
      benchmarkEvalshaPerSecond: round(ceiling.rps),
      benchmarkCommand: ceiling.command,
      refreshShareOfCeiling: round(refresh.okPerSecond / ceiling.rps, 4),
      bridgeAutoPipelinePerSecond: round(bridgeAuto),
      bridgeNoPipelinePerSecond: round(bridgePlain),
    },
    db: { delta: dbDeltaValue, queriesPerRefresh: round(dbDeltaValue.xact_commit / Math.max(1, rotations), 4) },
    micro,
    profiles,
  };
  await mkdir(join(out, '..'), { recursive: true });
  await writeFile(out, `${JSON.stringify(result, null, 2)}\n`);
  console.log(formatBench(result));
  for (const [name, p] of Object.entries(profiles)) console.log(`\n${formatProfile(`profile of ${name}`, p)}`);
  console.log(`\nJSON: ${out}; logs and .cpuprofile files: ${logDir}`);
}

/** The results table. */
export function formatBench(r: BenchResult): string {
  const n = (v: number) => Math.round(v).toLocaleString('en-US');
  const cpu = (c: CpuReport) =>
    `${Object.entries(c.processes)
      .map(([k, v]) => `${k} ${v ?? '?'}`)
      .join(
        ', ',
      )}, load generator ${c.loadGenerator}, others ${c.others ?? '?'}, steal ${c.steal ?? '?'} (CPU s in ${c.wallSeconds} s)`;
  const cpuParts = (c: RequestCpu) =>
    `API ${c.api} + bridge ${c.bridge} + redis ${c.redis} + load generator ${c.loadGenerator} µs`;
  const rows: [string, string, string][] = [
    [
      'no-op route (GET /api/v1/noop)',
      `${n(r.noop.okPerSecond)} req/s`,
      `p50 ${r.noop.latencyMs.p50} ms, p99 ${r.noop.latencyMs.p99} ms, ${r.noop.connections} connections`,
    ],
    [
      'refresh (POST /api/v1/auth/refresh-token)',
      `${n(r.refresh.okPerSecond)} req/s`,
      `p50 ${r.refresh.latencyMs.p50} ms, p99 ${r.refresh.latencyMs.p99} ms, non-2xx ${r.refresh.non2xx}, errors ${r.refresh.errors}`,
    ],
    ['refresh ÷ no-op', `${r.refreshToNoop}`, 'target ≥ 0.5'],
    ['CPU per no-op request (whole machine)', `${r.cpuPerRequest.noop.total} µs`, cpuParts(r.cpuPerRequest.noop)],
    ['CPU per refresh (whole machine)', `${r.cpuPerRequest.refresh.total} µs`, cpuParts(r.cpuPerRequest.refresh)],
    [
      'server CPU per refresh ÷ per no-op',
      `${r.serverCpuRatio}`,
      `target ≤ 4; the API process, median of ${r.serverCpuRounds.length} rounds (${r.serverCpuRounds.join(', ')}); round 1: ${r.cpuPerRequest.refresh.api} ÷ ${r.cpuPerRequest.noop.api} µs`,
    ],
    [
      'no-op ÷ refresh CPU per request',
      `${r.cpuBoundRatio}`,
      `the most refresh ÷ no-op can be while ${r.machine.nproc} cores are the limit of both phases`,
    ],
    ['EVALSHA per rotation', `${r.redis.evalshaPerRotation}`, `target 1; ${n(r.redis.rotations)} rotations counted in Redis`],
    [
      'Redis round trips per rotation',
      `${r.redis.roundTripsPerRotation}`,
      `top-level: ${Object.entries(r.redis.topLevelCommands)
        .map(([k, v]) => `${k}=${n(v)}`)
        .join(' ')}; all incl. in-script: ${Object.entries(r.redis.commands)
        .map(([k, v]) => `${k}=${n(v)}`)
        .join(' ')}`,
    ],
    [
      'DB transactions per refresh',
      `${r.db.queriesPerRefresh}`,
      `target 0; Δ xact_commit ${r.db.delta.xact_commit}, tup_returned ${r.db.delta.tup_returned}, tup_fetched ${r.db.delta.tup_fetched}`,
    ],
    [
      `access-token verify (jose ${r.micro.algorithm})`,
      `${n(r.micro.accessTokenVerifyPerSecond)} /s`,
      'one serial loop, in process',
    ],
    [
      `access-token sign (${r.micro.implementation} ${r.micro.algorithm})`,
      `${n(r.micro.accessTokenSignPerSecond)} /s`,
      `one per refresh; ${r.micro.accessTokenSignCpuMicros.toFixed(1)} µs CPU each (all threads, 50 in flight); edge path (jose) ${r.micro.edge.accessTokenSignCpuMicros.toFixed(1)} µs`,
    ],
    [
      `refresh-token codec (parse+successor+2×SHA-256, ${r.micro.implementation})`,
      `${n(r.micro.refreshCodecPerSecond)} /s`,
      `one per refresh; ${r.micro.refreshCodecCpuMicros.toFixed(1)} µs CPU each; edge path (@noble) ${r.micro.edge.refreshCodecCpuMicros.toFixed(1)} µs`,
    ],
    [
      `sign-in (PBKDF2 ${n(r.settings.iterations)})`,
      `${r.signIn.perSecond} /s`,
      `${r.signIn.sessions} sign-ins, ${r.signIn.concurrency} at a time`,
    ],
    [
      'wrong password: unknown ÷ known email (p50)',
      `${r.enumeration.ratio}`,
      `known p50 ${r.enumeration.knownMs.p50} / p90 ${r.enumeration.knownMs.p90} ms, unknown p50 ${r.enumeration.unknownMs.p50} / p90 ${r.enumeration.unknownMs.p90} ms, ${r.enumeration.samples} each`,
    ],
    ['redis-benchmark EVALSHA (ceiling)', `${n(r.redis.benchmarkEvalshaPerSecond)} /s`, '-c 50 -P 1, rotate-shaped script'],
    ['refresh ÷ redis-benchmark ceiling', `${r.redis.refreshShareOfCeiling}`, ''],
    [
      'same script via bridge, auto-pipelining',
      `${n(r.redis.bridgeAutoPipelinePerSecond)} /s`,
      `@upstash/redis, ${r.settings.connections} concurrent callers`,
    ],
    ['same script via bridge, no pipelining', `${n(r.redis.bridgeNoPipelinePerSecond)} /s`, 'enableAutoPipelining: false'],
  ];
  const w0 = Math.max(...rows.map((x) => x[0].length));
  const w1 = Math.max(...rows.map((x) => x[1].length));
  return [
    `\nbenchmark on ${r.machine.nproc} × ${r.machine.cpu}, Node ${r.machine.node}, ${r.startedAt}, API workers: ${r.settings.workers}, ` +
      (r.settings.cpus ? `API on CPU ${r.settings.cpus.api}, the rest on ${r.settings.cpus.rest}` : 'CPUs shared'),
    ...rows.map(([a, b, c]) => `  ${a.padEnd(w0)}  ${b.padStart(w1)}  ${c}`),
    `  CPU during no-op:   ${cpu(r.noop.cpu)}`,
    `  CPU during refresh: ${cpu(r.refresh.cpu)}`,
  ].join('\n');
}

if (process.argv[1]?.endsWith('scripts/bench/run.ts')) {
  const stop = () => void stopAll().then(() => process.exit(130));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    await main();
  } catch (error) {
    const usage = error instanceof UsageError;
    console.error(usage ? `bench: ${(error as Error).message} (see --help)` : `bench: ${(error as Error).stack ?? error}`);
    process.exitCode = usage ? 2 : 1;
  } finally {
    await stopAll();
    // Open keep-alive sockets or a reconnecting client must not keep a finished benchmark alive.
    process.exit();
  }
}
