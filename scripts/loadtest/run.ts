/**
 * @module `npm run loadtest`: creates sessions through the API, refreshes them from many concurrent
 * clients (honest, racing, attacking, losing responses), then prints throughput, latency, errors and the audit, and
 * writes a JSON result. Exits 1 on any audit violation.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { buildAudit, readFamilies, type Audit, type RedisTarget } from './audit';
import { clientLoop, newFindings, type ClientContext } from './clients';
import { JsonClient } from './http';
import { HELP, parseOptions, UsageError, type LoadTestOptions } from './options';
import { formatReport } from './report';
import { createSessions, type Session, type SessionKind } from './setup';
import { RunStats, type LatencySummary } from './stats';

/** The machine-readable result (also the input of the printed report). */
export interface LoadTestResult {
  version: 1;
  startedAt: string;
  options: LoadTestOptions;
  setup: { users: number; sessions: number; signupSeconds: number; signinSeconds: number };
  clients: Record<SessionKind, number>;
  elapsedSeconds: number;
  requests: { total: number; ok: number; rotations: number; errors: Record<string, number> };
  throughput: { requestsPerSecond: number; rotationsPerSecond: number };
  latencyMs: LatencySummary;
  clientsSeen: { raceBursts: number; raceRequests: number; retries: number; rateLimited: number; inconclusiveReplays: number };
  audit: Audit;
}

/** Splits C clients into kinds by share; every kind with a non-zero share gets at least one client. */
export function clientKinds(concurrency: number, raceShare: number, attackerShare: number, lossyShare = 0): SessionKind[] {
  const atLeastOne = (share: number) =>
    share > 0 && concurrency >= 3 ? Math.max(1, Math.round(concurrency * share)) : Math.round(concurrency * share);
  const race = atLeastOne(raceShare);
  const attacker = Math.min(concurrency - race, atLeastOne(attackerShare));
  const lossy = Math.min(concurrency - race - attacker, atLeastOne(lossyShare));
  const want: [SessionKind, number][] = [
    ['race', race],
    ['attacker', attacker],
    ['lossy', lossy],
    ['honest', concurrency - race - attacker - lossy],
  ];
  const given = new Map<SessionKind, number>();
  // Interleaved (each slot goes to the kind furthest behind its share), so every kind is spread over
  // the whole session range rather than bunched at the start.
  return Array.from({ length: concurrency }, (_, i) => {
    let best: SessionKind = 'honest';
    let bestDeficit = -Infinity;
    for (const [kind, count] of want) {
      const deficit = ((i + 1) * count) / concurrency - (given.get(kind) ?? 0);
      if (count > (given.get(kind) ?? 0) && deficit > bestDeficit) [best, bestDeficit] = [kind, deficit];
    }
    given.set(best, (given.get(best) ?? 0) + 1);
    return best;
  });
}

/** Runs one load test; resolves with the result (never exits the process). */
export async function runLoadTest(
  options: LoadTestOptions,
  log: (line: string) => void = (l) => console.error(l),
): Promise<LoadTestResult> {
  const startedAt = new Date().toISOString();
  const runId = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  // Race bursts put up to 5 requests of one client in flight at once.
  const client = new JsonClient(options.url, options.concurrency * 5, options.timeoutMs);
  try {
    const noop = await client.get('/api/v1/noop');
    if (noop.status !== 200)
      throw new Error(
        `${options.url}/api/v1/noop answered ${noop.status}${noop.transportError ? ` (${noop.transportError})` : ''}: is the server up?`,
      );

    log(`creating ${options.users} users and ${options.sessions} sessions (${options.setupConcurrency} at a time)...`);
    const setup = await createSessions(client, {
      users: options.users,
      sessions: options.sessions,
      concurrency: options.setupConcurrency,
      password: options.password,
      runId,
      onProgress: (done) => {
        if (options.progress && (done % 50 === 0 || done === options.sessions))
          process.stderr.write(`\r  ${done}/${options.sessions} sessions`);
      },
    });
    if (options.progress) process.stderr.write('\n');

    // Never more clients than sessions: two honest clients on one session would be a race, not honesty.
    const concurrency = Math.min(options.concurrency, options.sessions);
    if (concurrency < options.concurrency)
      log(`only ${options.sessions} sessions: running ${concurrency} clients instead of ${options.concurrency}`);
    const kinds = clientKinds(concurrency, options.raceShare, options.attackerShare, options.lossyShare);
    const sessions: Session[] = setup.ids.map((id, index) => ({
      index,
      id,
      kind: kinds[index % concurrency] ?? 'honest',
      token: setup.tokens[index] ?? '',
      rotations: 0,
      recoveries: 0,
      justRecovered: false,
      state: 'active',
    }));
    const graceMs = options.graceSeconds * 1000;
    if ((kinds.includes('attacker') || kinds.includes('lossy')) && graceMs + 1000 > options.durationSeconds * 1000) {
      log(
        `warning: --grace ${options.graceSeconds} s leaves no time for attacks or late retries in ${options.durationSeconds} s; start the server with a small REFRESH_GRACE_SECONDS`,
      );
    }

    const stats = new RunStats();
    const findings = newFindings();
    const started = performance.now();
    const ctx: ClientContext = { client, stats, findings, graceMs, deadline: started + options.durationSeconds * 1000 };
    const progress = options.progress
      ? setInterval(() => {
          const s = Math.round((performance.now() - started) / 1000);
          const errors = stats.requests - stats.ok;
          process.stderr.write(
            `${process.stderr.isTTY ? '\r\x1b[K' : ''}[${String(s).padStart(4)}s] ${stats.takeInterval()} req/s  total ${stats.requests}  errors ${errors}  ` +
              `replays refused ${findings.attacks.detected}/${findings.attacks.attempted}  wrongly revoked ${findings.wronglyRevoked}${process.stderr.isTTY ? '' : '\n'}`,
          );
        }, 1000)
      : undefined;
    await Promise.all(
      kinds.map((kind, c) =>
        clientLoop(
          ctx,
          kind,
          sessions.filter((s) => s.index % concurrency === c),
        ),
      ),
    );
    const elapsedSeconds = (performance.now() - started) / 1000;
    if (progress) {
      clearInterval(progress);
      if (process.stderr.isTTY) process.stderr.write('\n');
    }

    let families = null;
    const target: RedisTarget | undefined = options.redisUrl
      ? { kind: 'ioredis', url: options.redisUrl }
      : options.redisRestUrl && options.redisRestToken
        ? { kind: 'rest', url: options.redisRestUrl, token: options.redisRestToken }
        : undefined;
    if (target)
      families = await readFamilies(
        target,
        sessions.map((s) => s.id),
      );
    const audit = buildAudit(sessions, findings, families);
    const count = (kind: SessionKind) => kinds.filter((k) => k === kind).length;
    return {
      version: 1,
      startedAt,
      options,
      setup: {
        users: options.users,
        sessions: options.sessions,
        signupSeconds: setup.signupMs / 1000,
        signinSeconds: setup.signinMs / 1000,
      },
      clients: { honest: count('honest'), race: count('race'), attacker: count('attacker'), lossy: count('lossy') },
      elapsedSeconds,
      requests: { total: stats.requests, ok: stats.ok, rotations: stats.rotations, errors: stats.errors() },
      throughput: { requestsPerSecond: stats.requests / elapsedSeconds, rotationsPerSecond: stats.rotations / elapsedSeconds },
      latencyMs: stats.latency(),
      clientsSeen: {
        raceBursts: findings.race.bursts,
        raceRequests: findings.race.requests,
        retries: findings.retries,
        rateLimited: findings.rateLimited,
        inconclusiveReplays: findings.inconclusiveReplays,
      },
      audit,
    };
  } finally {
    client.close();
  }
}

const isMain = process.argv[1]?.endsWith('scripts/loadtest/run.ts');
if (isMain) {
  let options: LoadTestOptions | null;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`loadtest: ${error.message}\n(see --help)`);
    process.exit(2);
  }
  if (!options) {
    console.log(HELP);
    process.exit(0);
  }
  try {
    const result = await runLoadTest(options);
    console.log(formatReport(result));
    if (options.out) {
      await mkdir(dirname(options.out), { recursive: true });
      await writeFile(options.out, `${JSON.stringify(result, null, 2)}\n`);
      console.log(`result written to ${options.out}`);
    }
    process.exitCode = result.audit.ok ? 0 : 1;
  } catch (error) {
    console.error(`loadtest: ${(error as Error).message}`);
    process.exitCode = 2;
  }
}
