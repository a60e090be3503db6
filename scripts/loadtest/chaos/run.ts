/**
 * @module `npm run loadtest:chaos`: the audited load test through a schedule of real faults. Starts its own
 * stack (scripts/loadtest/chaos/environment.ts), signs sessions in, runs the load test's clients (honest,
 * racing, thieves, lossy) while the faults play one after another with recovery between, then audits every
 * session against Redis and judges each fault. Exit 0 = clean (expected failures, labelled, allowed);
 * 1 = an audit violation; 2 = bad usage or a broken setup.
 */
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { CALLER_PROOF_HEADER, signCallerProof } from '../../../lib/auth/caller-proof';
import { buildAudit, readFamilies, type Audit } from '../audit';
import { newFindings, REFRESH_PATH } from '../clients';
import { errorCode, JsonClient } from '../http';
import { num, parseUsage, UsageError } from '../options';
import { clientKinds } from '../run';
import { createSessions, loadtestEmail, type SessionKind } from '../setup';
import { RunStats, type LatencySummary } from '../stats';
import { accountFaults, endIsExpected, type FaultReport, type FaultWindow } from './accounting';
import { chaosClientLoop, outcomeOf, type ChaosContext, type ChaosSession } from './clients';
import { counterDeltas, EXPECTED_MOVES, readCounters } from './counters';
import { keyRingSupport, startStack, type ChaosStack } from './environment';
import { ALL_FAULTS, sabotage, type Capabilities, type Fault, type FaultTimings } from './faults';
import { formatChaosReport } from './report';
import { stopAll } from './stack';

/** Everything a chaos run is configured by. */
export interface ChaosOptions {
  smoke: boolean;
  selfCheck: boolean;
  only: string[] | undefined;
  concurrency: number;
  sessions: number;
  thinkMs: number;
  warmupSeconds: number;
  gapSeconds: number;
  timings: FaultTimings;
  graceSeconds: number;
  apiWorkers: number;
  database: string;
  portFrom: number;
  portTo: number;
  out: string;
  dir: string;
}

export const CHAOS_HELP = `The audited refresh load test through a schedule of real faults.

Usage: npm run loadtest:chaos -- [options]

  --smoke              the short CI schedule (shorter faults and gaps, fewer clients)
  --self-check         add a last "fault" that replaces REFRESH_TOKEN_SECRET outright: every session
                       ends, and the run passes only if the audit reports it (proves the audit can fail)
  --only IDS           comma-separated fault ids to play (failover, aof-restart, rest-stall, rest-reset,
                       postgres-down, secret-rotation)                             [all, in that order]
  --concurrency C      client loops                                                [40; smoke 24]
  --sessions N         sessions to start with (clients sign in again when one ends) [2 x C]
  --think-ms MS        pause between a client's refreshes                          [150]
  --warmup S           seconds of traffic before the first fault                   [5; smoke 3]
  --gap S              seconds of recovery after each fault                        [8; smoke 4]
  --loss-window MS     writes acknowledged in this window before a crash are lost  [200]
  --stall S            REST endpoint stall                                         [6; smoke 3]
  --reset S            REST connections reset mid-response                         [4; smoke 2]
  --db-down S          PostgreSQL refusing connections                             [6; smoke 3]
  --workers N          API worker processes (a restart starts each anew)           [2; smoke 1]
  --database NAME      PostgreSQL database on 127.0.0.1:5432 (created beforehand)  [authchaos]
  --ports FROM-TO      private port range for everything the run starts           [17100-17199]
  --out FILE           JSON result                                                 [tmp/loadtest-chaos/result.json]
  -h, --help           this text

Exit status: 0 = audit clean (faults whose fix is not in this build are labelled EXPECTED FAILURE),
1 = an audit violation, 2 = bad usage or setup failure.`;

/** Parses argv; null when --help was asked for. */
export function parseChaosOptions(argv: string[]): ChaosOptions | null {
  const { values: v } = parseUsage({
    args: argv,
    allowPositionals: false,
    options: {
      smoke: { type: 'boolean' },
      'self-check': { type: 'boolean' },
      only: { type: 'string' },
      concurrency: { type: 'string' },
      sessions: { type: 'string' },
      'think-ms': { type: 'string' },
      warmup: { type: 'string' },
      gap: { type: 'string' },
      'loss-window': { type: 'string' },
      stall: { type: 'string' },
      reset: { type: 'string' },
      'db-down': { type: 'string' },
      workers: { type: 'string' },
      database: { type: 'string' },
      ports: { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (v.help) return null;
  const smoke = v.smoke ?? false;
  const concurrency = num(v.concurrency, 'concurrency', smoke ? 24 : 40, 4, 400);
  const [portFrom, portTo] = (v.ports ?? '17100-17199').split('-').map(Number) as [number, number];
  if (!Number.isInteger(portFrom) || !Number.isInteger(portTo) || portFrom < 1024 || portTo > 65535 || portTo - portFrom < 8)
    throw new UsageError('--ports must be FROM-TO with at least 9 ports, e.g. 17100-17199');
  const only = v.only?.split(',').map((s) => s.trim());
  const known = ALL_FAULTS.map((f) => f.id);
  for (const id of only ?? [])
    if (!known.includes(id)) throw new UsageError(`--only: unknown fault "${id}" (one of ${known.join(', ')})`);
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  return {
    smoke,
    selfCheck: v['self-check'] ?? false,
    only,
    concurrency,
    sessions: num(v.sessions, 'sessions', 2 * concurrency, concurrency, 10_000),
    thinkMs: num(v['think-ms'], 'think-ms', 150, 10, 5000),
    warmupSeconds: num(v.warmup, 'warmup', smoke ? 3 : 5, 1, 600),
    gapSeconds: num(v.gap, 'gap', smoke ? 4 : 8, 2, 600),
    timings: {
      lossWindowMs: num(v['loss-window'], 'loss-window', 200, 0, 10_000),
      stallMs: num(v.stall, 'stall', smoke ? 3 : 6, 0.5, 120) * 1000,
      resetMs: num(v.reset, 'reset', smoke ? 2 : 4, 0.5, 120) * 1000,
      databaseDownMs: num(v['db-down'], 'db-down', smoke ? 3 : 6, 0.5, 120) * 1000,
    },
    graceSeconds: 1,
    apiWorkers: num(v.workers, 'workers', smoke ? 1 : 2, 1, 8),
    database: v.database ?? 'authchaos',
    portFrom,
    portTo,
    out: resolve(v.out ?? 'tmp/loadtest-chaos/result.json'),
    dir: resolve('tmp/loadtest-chaos', stamp),
  };
}

/** The JSON result (also the input of the printed report). */
export interface ChaosResult {
  version: 1;
  kind: 'chaos';
  startedAt: string;
  options: ChaosOptions;
  capabilities: Capabilities;
  clients: Record<SessionKind, number>;
  sessions: { initial: number; signedInAgain: number; total: number };
  elapsedSeconds: number;
  requests: { total: number; ok: number; rotations: number; errors: Record<string, number> };
  latencyMs: LatencySummary;
  signins: { probes: number; ok: number; unavailable: number; transport: number; other: number };
  baseline: FaultReport;
  faults: FaultReport[];
  /** The Redis-side audit over every session not excused below. */
  audit: Audit;
  excluded: {
    /** Ended in the phase of an expected failure (or of the self-check): reported per fault, not failed. */
    endedByExpectedFailure: number;
    /** The store rolled back and the session never succeeded again before the end: Redis may be behind it. */
    behindRolledBackStore: number;
    theftsDroppedAcrossRollback: number;
    inconclusiveAttacks: number;
    /** Refused as reuse after two lost answers in a row, both retried after the window (the documented case). */
    twoLostInARow: number;
  };
  /** Sessions whose rotation count in Redis differs from what their client saw (each one is a violation). */
  mismatches: string[];
  ok: boolean;
}

/** Runs the whole schedule against a stack of its own; resolves with the result (the stack is stopped). */
export async function runChaos(o: ChaosOptions, log: (line: string) => void = (l) => console.error(l)): Promise<ChaosResult> {
  const startedAt = new Date().toISOString();
  let stack: ChaosStack | undefined;
  let api: JsonClient | undefined;
  try {
    log(`chaos: stack in ${o.dir}`);
    stack = await startStack(
      {
        dir: o.dir,
        portFrom: o.portFrom,
        portTo: o.portTo,
        database: o.database,
        pgHost: '127.0.0.1',
        pgPort: 5432,
        apiWorkers: o.apiWorkers,
        graceSeconds: o.graceSeconds,
      },
      log,
    );
    const live = stack;
    const http = new JsonClient(live.apiUrl, o.concurrency * 5 + 10, 10_000);
    api = http;
    const runId = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
    const users = Math.max(4, Math.ceil(o.sessions / 4));
    const password = 'chaos-test-password-1';
    log(`creating ${users} users and ${o.sessions} sessions...`);
    const setup = await createSessions(http, { users, sessions: o.sessions, concurrency: 8, password, runId });
    const kinds = clientKinds(o.concurrency, 0.15, 0.1, 0.15);
    const sessions: ChaosSession[] = setup.ids.map((id, index) =>
      newSession(index, id, kinds[index % o.concurrency] ?? 'honest', setup.tokens[index] ?? ''),
    );
    const capabilities: Capabilities = {
      aheadRule: (setup.tokens[0] ?? '').startsWith('rt2.'),
      keyRing: keyRingSupport(live.apiEnv),
    };
    log(
      `capabilities: ahead-of-store rule ${capabilities.aheadRule ? 'present (rt2 tokens)' : 'ABSENT (rt1 tokens)'}; key rings: ${Object.entries(
        capabilities.keyRing,
      )
        .map(([k, v]) => `${k} ${v ? 'yes' : 'no'}`)
        .join(', ')}`,
    );

    const stats = new RunStats();
    const findings = newFindings();
    let nextUser = 0;
    const signInEvents = { probes: 0, ok: 0, unavailable: 0, transport: 0, other: 0 };
    const ctx: ChaosContext = {
      client: http,
      stats,
      findings,
      graceMs: o.graceSeconds * 1000,
      thinkMs: o.thinkMs,
      deadline: Number.POSITIVE_INFINITY,
      rollback: { epoch: 0, storeUpAt: 0, open: false },
      requests: [],
      retries: [],
      violations: [],
      excuses: [],
      theftsAcrossRollback: 0,
      inconclusiveAttacks: 0,
      signIn: async (kind) => {
        while (ctx.rollback.open) await sleep(50);
        const r = await signIn(loadtestEmail(runId, nextUser++ % users));
        const body = r.body as { session_id?: unknown; refresh_token?: unknown } | null;
        if (r.status !== 200 || typeof body?.session_id !== 'string' || typeof body.refresh_token !== 'string') return null;
        const s = newSession(sessions.length, body.session_id, kind, body.refresh_token);
        sessions.push(s);
        return s;
      },
    };
    /** One sign-in, recorded; anything but 200, 503 or a lost connection is a violation (a 401 in an outage lies). */
    const signIn = async (email: string) => {
      const r = await http.post('/api/v1/auth/signin', { email, password });
      const at = performance.now();
      const outcome = outcomeOf(r);
      ctx.requests.push({ at, what: 'signin', outcome });
      if (outcome !== 'ok' && outcome !== 'unavailable' && outcome !== 'transport')
        ctx.violations.push({
          at,
          kind: 'signin_wrong_answer',
          detail: `a sign-in with the right password got HTTP ${r.status}`,
        });
      return r;
    };

    const faults: Fault[] = (o.only ? ALL_FAULTS.filter((f) => o.only?.includes(f.id)) : ALL_FAULTS).concat(
      o.selfCheck ? [sabotage] : [],
    );
    const windows: FaultWindow[] = [];
    const runStart = performance.now();
    const clientsDone = Promise.all(
      kinds.map((kind, c) =>
        chaosClientLoop(
          ctx,
          kind,
          sessions.filter((s) => s.index % o.concurrency === c),
        ),
      ),
    );
    // A steady trickle of sign-ins shows what a person signing in meets during each fault.
    const prober = (async () => {
      while (performance.now() < ctx.deadline) {
        const r = await signIn(loadtestEmail(runId, nextUser++ % users));
        signInEvents.probes += 1;
        const outcome = outcomeOf(r);
        if (outcome === 'ok' || outcome === 'unavailable' || outcome === 'transport') signInEvents[outcome] += 1;
        else signInEvents.other += 1;
        await new Promise((done) => setTimeout(done, 300));
      }
    })();

    const schedule = async () => {
      await sleep(o.warmupSeconds * 1000);
      for (const fault of faults) {
        const { expectation, pending } = fault.expectation(capabilities);
        log(`fault ${fault.id}: ${fault.title}${expectation === 'expected_failure' ? ' (EXPECTED TO FAIL in this build)' : ''}`);
        const countersBefore = await readCounters(live.metricsPort, o.apiWorkers);
        const played = await fault.play({
          stack: live,
          rollback: ctx.rollback,
          sessions,
          timings: o.timings,
          capabilities,
          log,
          probeSignIn: async () => {
            const r = await signIn(loadtestEmail(runId, nextUser++ % users));
            const body = r.body as { access_token?: unknown } | null;
            return r.status === 200 && typeof body?.access_token === 'string' ? body.access_token : null;
          },
          probeSession: async () => {
            const r = await signIn(loadtestEmail(runId, nextUser++ % users));
            const body = r.body as { refresh_token?: unknown } | null;
            return r.status === 200 && typeof body?.refresh_token === 'string' ? body.refresh_token : null;
          },
          probeRefresh: async (token) => {
            for (const until = performance.now() + 30_000; performance.now() < until;) {
              const r = await http.post(REFRESH_PATH, { refresh_token: token });
              if (r.status !== 503 && r.status !== 0) return r.status === 200 ? '200' : `${r.status} ${errorCode(r)}`;
              await sleep(o.thinkMs);
            }
            return 'no answer within 30 s';
          },
          probeAccessToken: async (token) =>
            (
              await fetch(`${live.apiUrl}/api/v1/auth/sessions`, {
                headers: { authorization: `Bearer ${token}` },
                signal: AbortSignal.timeout(10_000),
              })
            ).status,
          probeOAuth: async (secret) => {
            const body = JSON.stringify({
              provider: 'github',
              providerAccountId: `chaos-${runId}`,
              profile: { email: `chaos-oauth-${runId}@loadtest.example.com`, emailVerified: true },
            });
            const r = await fetch(`${live.apiUrl}/api/v1/auth/oauth`, {
              method: 'POST',
              headers: { 'content-type': 'application/json', [CALLER_PROOF_HEADER]: await signCallerProof(secret, body) },
              body,
              signal: AbortSignal.timeout(10_000),
            });
            return r.status;
          },
          violation: (at, kind, detail) => ctx.violations.push({ at, kind, detail }),
        });
        windows.push({
          id: fault.id,
          title: fault.title,
          expectation,
          ...(pending ? { pending } : {}),
          ...(fault.refreshesMustSucceed ? { refreshesMustSucceed: true } : {}),
          ...played,
        });
        log(`  back after ${((played.endAt - played.startAt) / 1000).toFixed(1)} s; recovering for ${o.gapSeconds} s`);
        await sleep(o.gapSeconds * 1000);
        // What the API's own counters saw in this fault's phase: what an operator's alerts would have watched.
        const moved = counterDeltas(countersBefore, await readCounters(live.metricsPort, o.apiWorkers));
        Object.assign(windows.at(-1)!.details, moved);
        // Only where the fault really happened to the traffic: no lost write, no resumed chain to count.
        for (const counter of EXPECTED_MOVES[fault.id] ?? []) {
          const lostNothing = counter.endsWith('resumed') && !Number(played.details.lostRotations);
          if (!moved[counter] && !lostNothing) {
            ctx.violations.push({ at: played.endAt, kind: 'counter_not_moved', detail: `${fault.id}: ${counter} did not move` });
          }
        }
      }
      ctx.deadline = performance.now();
    };
    await schedule().catch((error: unknown) => {
      ctx.deadline = performance.now();
      throw error;
    });
    await Promise.all([clientsDone, prober]);
    const runEnd = performance.now();

    // Settle what cannot be matched exactly: an answer still lost at the end, or a store that rolled back since.
    let behindRolledBackStore = 0;
    for (const s of sessions) {
      if (s.state !== 'active') continue;
      if (s.rollbackPending) {
        behindRolledBackStore += 1;
        s.state = 'uncertain';
      } else if (s.pendingSince !== undefined) {
        s.state = 'uncertain';
        // The last gap has no fault: a client still without an answer for its token never got back in.
        ctx.violations.push({
          at: s.pendingSince,
          kind: 'never_recovered',
          detail: `session #${s.index} (${s.kind}) got no answer for its token from ${((runEnd - s.pendingSince) / 1000).toFixed(1)} s before the end on`,
        });
      }
    }
    const expectedEnd = (s: ChaosSession) =>
      s.state === 'wrongly_revoked' && s.endedAt !== undefined && endIsExpected(windows, s.endedAt);
    const audited = sessions.filter((s) => !expectedEnd(s));
    const endedByExpectedFailure = sessions.length - audited.length;
    const families = await readFamilies(
      { kind: 'ioredis', url: `redis://127.0.0.1:${live.primary.port}` },
      audited.map((s) => s.id),
    );
    const mismatches = audited.flatMap((s, i) => {
      const rot = families[i]?.rot ?? 0;
      return s.state !== 'uncertain' && rot !== s.rotations
        ? [`session #${s.index} (${s.kind}, ${s.state}): Redis rot=${rot}, the client saw ${s.rotations}`]
        : [];
    });
    const audit = buildAudit(
      audited,
      { ...findings, wronglyRevoked: findings.wronglyRevoked - endedByExpectedFailure },
      families,
    );
    const { baseline, faults: reports } = accountFaults({
      runStart,
      runEnd,
      faults: windows,
      requests: ctx.requests,
      retries: ctx.retries,
      violations: ctx.violations,
      excuses: ctx.excuses,
    });
    const count = (kind: SessionKind) => kinds.filter((k) => k === kind).length;
    const ok = audit.ok && baseline.verdict === 'pass' && reports.every((r) => r.verdict !== 'fail');
    return {
      version: 1,
      kind: 'chaos',
      startedAt,
      options: o,
      capabilities,
      clients: { honest: count('honest'), race: count('race'), attacker: count('attacker'), lossy: count('lossy') },
      sessions: { initial: o.sessions, signedInAgain: sessions.length - o.sessions, total: sessions.length },
      elapsedSeconds: (runEnd - runStart) / 1000,
      requests: { total: stats.requests, ok: stats.ok, rotations: stats.rotations, errors: stats.errors() },
      latencyMs: stats.latency(),
      signins: signInEvents,
      baseline,
      faults: reports,
      audit,
      excluded: {
        endedByExpectedFailure,
        behindRolledBackStore,
        theftsDroppedAcrossRollback: ctx.theftsAcrossRollback,
        inconclusiveAttacks: ctx.inconclusiveAttacks,
        twoLostInARow: ctx.excuses.length,
      },
      mismatches,
      ok,
    };
  } finally {
    api?.close();
    await stopAll();
    if (stack) log(`chaos: every process stopped; logs in ${o.dir}`);
  }
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/** Removes all but the newest `keep` run directories (each holds two Redis data directories and the logs). */
async function pruneOldRuns(parent: string, keep: number): Promise<void> {
  const runs = (await readdir(parent).catch(() => [] as string[])).filter((name) => /^\d{4}-\d{2}-\d{2}T/.test(name)).sort();
  for (const name of runs.slice(0, Math.max(0, runs.length - keep)))
    await rm(join(parent, name), { recursive: true, force: true });
}

const isMain = process.argv[1]?.endsWith('scripts/loadtest/chaos/run.ts');
if (isMain) {
  let options: ChaosOptions | null;
  try {
    options = parseChaosOptions(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`loadtest:chaos: ${error.message}\n(see --help)`);
    process.exit(2);
  }
  if (!options) {
    console.log(CHAOS_HELP);
    process.exit(0);
  }
  try {
    await pruneOldRuns(dirname(options.dir), 4);
    const result = await runChaos(options);
    console.log(formatChaosReport(result));
    await mkdir(dirname(options.out), { recursive: true });
    await writeFile(options.out, `${JSON.stringify(result, null, 2)}\n`);
    await writeFile(join(options.dir, 'result.json'), `${JSON.stringify(result, null, 2)}\n`);
    console.log(`result written to ${options.out}`);
    process.exitCode = result.ok ? 0 : 1;
  } catch (error) {
    console.error(`loadtest:chaos: ${(error as Error).stack ?? (error as Error).message}`);
    process.exitCode = 2;
  }
}

/** A session as a client starts it: at its first token, nothing rotated, recovered or pending yet. */
function newSession(index: number, id: string, kind: ChaosSession['kind'], token: string): ChaosSession {
  return {
    index,
    id,
    kind,
    token,
    rotations: 0,
    recoveries: 0,
    justRecovered: false,
    state: 'active',
    pendingSince: undefined,
    maybeRecovered: false,
    rollbackPending: false,
  };
}
