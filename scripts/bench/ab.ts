/**
 * @module `npm run bench:ab -- --a REF --b REF`: an A/B of the API's CPU per request between two versions of
 * the code, in one run. Each git ref is exported to tmp/ab/<sha> (`.` is the working tree); both APIs run
 * side by side on one redis-server and bridge with the same secrets and sessions, and the rounds alternate
 * no-op and refresh phases on A and B. This VM's speed drifts within minutes and other work shares the cores,
 * so compare the same-run ratio (API CPU per refresh ÷ per no-op) and the medians over rounds, not req/s.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { freshSecrets } from '../../lib/config/secrets';
import { migrate } from '../../lib/db/migrator';
import { freePort } from '../../test/support/processes';
import { JsonClient } from '../loadtest/http';
import { num, parseUsage, UsageError } from '../loadtest/options';
import { createSessions } from '../loadtest/setup';
import { runLoad, type BenchSession } from './load';
import { median, startCpuAccounting } from './measure';
import { repairSessions } from './run';
import { benchEnv, pinCpus, startBenchRedis, startTs, stopAll, waitForUrl, type Proc } from './stack';

const HELP = `A/B of API CPU per request between two git refs (one run, alternating phases).

Usage: npm run bench:ab -- --a REF --b REF [options]
  --a REF, --b REF   git refs to compare; "." is the working tree as it is
  --rounds N         rounds of (no-op, refresh) on each side              [3]
  --seconds S        seconds per phase                                   [5]
  --connections C    concurrent connections                              [50]
  --database-url URL PostgreSQL database for the users  [postgresql://postgres@127.0.0.1:5432/authbench]`;

const log = (line: string) => console.error(`[ab] ${line}`);
const round1 = (v: number) => Math.round(v * 10) / 10;

/** The source tree of a ref: the working tree for ".", else `git archive` into tmp/ab/<sha> (generated Prisma clients copied). */
function sourceTree(ref: string): { dir: string; label: string } {
  if (ref === '.') return { dir: process.cwd(), label: 'working tree' };
  const sha = execFileSync('git', ['rev-parse', '--short', ref], { encoding: 'utf8' }).trim();
  const dir = resolve('tmp', 'ab', sha);
  if (!existsSync(join(dir, 'package.json'))) {
    mkdirSync(dir, { recursive: true });
    execFileSync('bash', ['-c', `git archive ${sha} | tar -x -C "${dir}"`]);
    cpSync('lib/db/generated', join(dir, 'lib/db/generated'), { recursive: true });
  }
  return { dir, label: `${ref} (${sha})` };
}

async function main(): Promise<void> {
  const { values: v } = parseUsage({
    options: {
      a: { type: 'string' },
      b: { type: 'string' },
      rounds: { type: 'string' },
      seconds: { type: 'string' },
      connections: { type: 'string' },
      'database-url': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (v.help) return console.log(HELP);
  if (!v.a || !v.b) throw new UsageError('--a and --b are required');
  const rounds = num(v.rounds, 'rounds', 3, 1, 100);
  const seconds = num(v.seconds, 'seconds', 5, 1, 600);
  const connections = num(v.connections, 'connections', 50, 1, 10_000);
  const databaseUrl = v['database-url'] ?? process.env.BENCH_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/authbench';
  const sides = [sourceTree(v.a), sourceTree(v.b)];

  // Both APIs on the same CPU of their own (one is loaded at a time), as in the bench.
  const cpus = pinCpus(1);
  if (cpus) log(`APIs on CPU ${cpus.api}, the rest on ${cpus.rest}`);
  const logDir = join('tmp', 'bench', `ab-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  mkdirSync(logDir, { recursive: true });
  const [redisPort, bridgePort, portA, portB] = [await freePort(), await freePort(), await freePort(), await freePort()];
  (await startBenchRedis(redisPort, logDir)).redis.disconnect();
  await migrate({ url: databaseUrl, log: () => {} });
  const secrets = await freshSecrets();
  const token = crypto.randomUUID();
  const backends = { redisPort, bridgePort, token, databaseUrl, secrets };
  const env = (port: number) => benchEnv(backends, port);
  const bridge = startTs('bridge', 'tools/upstash-bridge/server.ts', env(portA), logDir);
  await waitForUrl(`http://127.0.0.1:${bridgePort}/health`, 60, bridge);
  const apis: Proc[] = [];
  for (const [i, port] of [portA, portB].entries()) {
    const api = startTs(`api-${'ab'[i]}`, join(sides[i]!.dir, 'api/_hono/server.ts'), env(port), logDir, [], cpus?.api);
    await waitForUrl(`http://127.0.0.1:${port}/api/v1/noop`, 60, api);
    apis.push(api);
  }

  // Same secrets and storage: a session signed in on A rotates on B as well.
  const client = new JsonClient(`http://127.0.0.1:${portA}`, 64, 60_000);
  const runId = `ab${Date.now().toString(36)}`;
  const sessionCount = connections + Math.ceil(connections / 5); // spares, as in the bench
  let signedIn = 0;
  // Sessions whose last answer could not be recovered are replaced by new ones.
  const signIn = async (count: number): Promise<BenchSession[]> => {
    log(`signing in ${count} sessions...`);
    const created = await createSessions(client, {
      users: 1,
      sessions: count,
      concurrency: 4,
      password: 'bench-password-1',
      runId: `${runId}-${signedIn++}`,
    });
    return created.ids.map((id, i) => ({ id, token: created.tokens[i] ?? '', inflight: false, rotations: 0, failures: 0 }));
  };
  let sessions = await signIn(sessionCount);

  const rows: { side: number; noop: number; refresh: number }[] = [];
  const phase = async (side: number, route: 'noop' | 'refresh') => {
    const url = `http://127.0.0.1:${side === 0 ? portA : portB}`;
    await runLoad({ url, route, connections, seconds: 1, sessions }); // warm-up
    sessions = await repairSessions(client, sessions);
    log(`${'AB'[side]} ${route} (pid ${apis[side]!.pid}) for ${seconds} s...`);
    const cpu = await startCpuAccounting([apis[side]!]);
    const result = await runLoad({ url, route, connections, seconds, sessions });
    const report = await cpu();
    // Answers lost when the phase ended: present the same token again (inside the grace window).
    sessions = await repairSessions(client, sessions);
    if (sessions.length < connections) sessions.push(...(await signIn(sessionCount - sessions.length)));
    return ((report.processes[apis[side]!.name] ?? NaN) * 1e6) / Math.max(1, result.ok);
  };
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? [0, 1] : [1, 0];
    const measured: Record<number, { noop: number; refresh: number }> = {};
    for (const side of order) measured[side] = { noop: await phase(side, 'noop'), refresh: 0 };
    for (const side of order) measured[side]!.refresh = await phase(side, 'refresh');
    for (const side of [0, 1]) {
      const m = measured[side]!;
      rows.push({ side, ...m });
      log(
        `round ${r + 1} ${'AB'[side]}: API CPU per no-op ${round1(m.noop)} µs, per refresh ${round1(m.refresh)} µs, ratio ${round1(m.refresh / m.noop)}`,
      );
    }
  }
  client.close();
  console.log(
    `\nA/B, ${rounds} rounds × ${seconds} s phases, ${connections} connections (API CPU µs per request; medians over rounds)`,
  );
  for (const side of [0, 1]) {
    const mine = rows.filter((x) => x.side === side);
    console.log(
      `  ${'AB'[side]} ${sides[side]!.label.padEnd(24)} no-op ${round1(median(mine.map((x) => x.noop)))}  refresh ${round1(median(mine.map((x) => x.refresh)))}  ` +
        `refresh ÷ no-op ${round1(median(mine.map((x) => x.refresh / x.noop)))}  (per round: ${mine.map((x) => round1(x.refresh / x.noop)).join(', ')})`,
    );
  }
}

if (process.argv[1]?.endsWith('scripts/bench/ab.ts')) {
  try {
    await main();
  } catch (error) {
    const usage = error instanceof UsageError;
    console.error(usage ? `bench:ab: ${(error as Error).message} (see --help)` : `bench:ab: ${(error as Error).stack ?? error}`);
    process.exitCode = usage ? 2 : 1;
  } finally {
    await stopAll();
    process.exit();
  }
}
