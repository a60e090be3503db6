/**
 * @module Account enumeration by timing, measured on the real API (issue 21, item 5): sign-up with a used
 * address against a new one, and password reset for an existing account against an unknown address. Starts
 * its own redis-server, Upstash bridge, mail relay and standalone API, sends the two cases interleaved (in
 * alternating order, so drift on a shared machine hits both alike), prints each case's median and their
 * ratio, and exits 1 if either ratio passes the threshold. A measurement, not a test: never part of `npm test`.
 */
import { createServer, type Server } from 'node:http';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { freshSecrets } from '../../lib/config/secrets';
import { migrate } from '../../lib/db/migrator';
import { median } from '../bench/measure';
import { benchEnv, startBenchRedis, startTs, stopAll, waitForUrl } from '../bench/stack';
import { JsonClient, type HttpResult } from '../loadtest/http';
import { num, parseUsage, UsageError } from '../loadtest/options';
import { freePort } from '../../test/support/processes';

const HELP = `Account enumeration by timing: sign-up (used vs new address) and password reset (existing vs unknown).

Usage: npm run timing:enumeration -- [options]
  --samples N        requests per case (each case's median is over N)            [100]
  --warmup N         unrecorded requests per case first                          [10]
  --pause-ms MS      pause after each request, so the mail it deferred is sent   [50]
                     before the next one starts (one prober, not a load test)
  --iterations N     PASSWORD_PBKDF2_ITERATIONS of the API (≥ 1000); the fewer,   [1000]
                     the less the equal hashing hides any other difference
  --max-ratio R      fail (exit 1) if slower ÷ faster median exceeds R           [1.2]
  --base-port P      ports P..P+3 for redis, bridge, API, mail relay            [free ports]
  --database-url U   PostgreSQL database (created and migrated if needed)
                     [TIMING_DATABASE_URL or postgresql://postgres@127.0.0.1:5432/authtiming]
`;

/** The medians of one comparison, in ms. */
interface Comparison {
  name: string;
  /** The case that touches an existing account. */
  used: number[];
  /** The case with an address nobody has. */
  fresh: number[];
}

const round1 = (x: number) => Math.round(x * 10) / 10;
const p90 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(0.9 * xs.length))]!;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A mail relay that accepts everything (MAIL_TRANSPORT=webhook) and counts what it got per recipient. */
async function startRelay(port: number): Promise<{ server: Server; received: Map<string, number> }> {
  const received = new Map<string, number>();
  const server = createServer((req, res) => {
    let text = '';
    req.on('data', (chunk: Buffer) => (text += chunk));
    req.on('end', () => {
      try {
        const to = (JSON.parse(text) as { to?: string }).to ?? '?';
        received.set(to, (received.get(to) ?? 0) + 1);
      } catch {
        // counted as nothing; the API logs its own failures
      }
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { server, received };
}

/** Sends `used()` and `fresh()` alternately, `samples` times each, and returns their latencies; both must answer `status`. */
async function interleave(
  name: string,
  status: number,
  used: (i: number) => Promise<HttpResult>,
  fresh: (i: number) => Promise<HttpResult>,
  samples: number,
  pauseMs: number,
): Promise<Comparison> {
  const result: Comparison = { name, used: [], fresh: [] };
  const one = async (send: (i: number) => Promise<HttpResult>, i: number, into: number[]) => {
    const answer = await send(i);
    if (answer.status !== status) {
      throw new Error(`${name}: expected ${status}, got ${answer.status} ${JSON.stringify(answer.body)}`);
    }
    into.push(answer.ms);
    await sleep(pauseMs);
  };
  for (let i = 0; i < samples; i++) {
    if (i % 2 === 0) {
      await one(used, i, result.used);
      await one(fresh, i, result.fresh);
    } else {
      await one(fresh, i, result.fresh);
      await one(used, i, result.used);
    }
  }
  return result;
}

async function main(): Promise<number> {
  const { values: v } = parseUsage({
    args: process.argv.slice(2),
    allowPositionals: false,
    options: {
      samples: { type: 'string' },
      warmup: { type: 'string' },
      'pause-ms': { type: 'string' },
      iterations: { type: 'string' },
      'max-ratio': { type: 'string' },
      'base-port': { type: 'string' },
      'database-url': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (v.help) {
    console.log(HELP);
    return 0;
  }
  const samples = num(v.samples, 'samples', 100, 5, 100_000);
  const warmup = num(v.warmup, 'warmup', 10, 0, 10_000);
  const pauseMs = num(v['pause-ms'], 'pause-ms', 50, 0, 10_000);
  const iterations = num(v.iterations, 'iterations', 1000, 1000, 10_000_000);
  const maxRatio = Number(v['max-ratio'] ?? '1.2');
  if (!(maxRatio >= 1)) throw new UsageError('--max-ratio must be a number ≥ 1');
  const basePort = v['base-port'] === undefined ? undefined : num(v['base-port'], 'base-port', 0, 1024, 65_532);
  const databaseUrl = v['database-url'] ?? process.env.TIMING_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/authtiming';
  const [redisPort, bridgePort, apiPort, relayPort] =
    basePort === undefined
      ? [await freePort(), await freePort(), await freePort(), await freePort()]
      : [basePort, basePort + 1, basePort + 2, basePort + 3];

  const logDir = join('tmp', 'timing', new Date().toISOString().replace(/[:.]/g, '-'));
  await mkdir(logDir, { recursive: true });
  const { redis } = await startBenchRedis(redisPort, logDir);
  const relay = await startRelay(relayPort);
  try {
    await migrate({ url: databaseUrl, log: () => {} });
    const backends = { redisPort, bridgePort, token: crypto.randomUUID(), databaseUrl, secrets: await freshSecrets() };
    // Development mode only for the low PBKDF2 cost production refuses; mail goes over HTTP, as in production.
    const env = benchEnv(backends, apiPort, {
      NODE_ENV: 'development',
      PASSWORD_PBKDF2_ITERATIONS: String(iterations),
      MAIL_TRANSPORT: 'webhook',
      MAIL_WEBHOOK_URL: `http://127.0.0.1:${relayPort}/send`,
      MAIL_WEBHOOK_TOKEN: crypto.randomUUID(),
      EMAIL_VERIFICATION: 'required',
      LOG_LEVEL: 'warn',
    });
    const bridge = startTs('bridge', 'tools/upstash-bridge/server.ts', env, logDir);
    await waitForUrl(`http://127.0.0.1:${bridgePort}/health`, 60, bridge);
    const api = startTs('api', 'api/_hono/server.ts', env, logDir);
    await waitForUrl(`http://127.0.0.1:${apiPort}/api/v1/noop`, 60, api);
    const client = new JsonClient(`http://127.0.0.1:${apiPort}`, 4, 30_000);

    const run = `t${Date.now().toString(36)}`;
    const usedEmail = `used-${run}@timing.example.com`;
    const freshEmail = (label: string, i: number) => `${label}-${run}-${i}-${crypto.randomUUID().slice(0, 6)}@timing.example.com`;
    const registered = await client.post('/api/v1/auth/signup', { email: usedEmail, password: 'the first passphrase' });
    if (registered.status !== 202) throw new Error(`could not register ${usedEmail}: ${registered.status}`);

    const signUpUsed = (i: number) =>
      client.post('/api/v1/auth/signup', { email: usedEmail, password: `another passphrase ${i}` });
    const signUpNew = (i: number) =>
      client.post('/api/v1/auth/signup', { email: freshEmail('new', i), password: `a passphrase ${i}` });
    const resetKnown = () => client.post('/api/v1/auth/password-reset', { email: usedEmail });
    const resetUnknown = (i: number) => client.post('/api/v1/auth/password-reset', { email: freshEmail('nobody', i) });

    console.log(`API at ${iterations} PBKDF2 iterations; ${warmup} warm-up and ${samples} measured requests per case...`);
    if (warmup > 0) {
      await interleave('warm-up sign-up', 202, signUpUsed, signUpNew, warmup, pauseMs);
      await interleave('warm-up reset', 202, resetKnown, resetUnknown, warmup, pauseMs);
    }
    const before = relay.received.get(usedEmail) ?? 0;
    const comparisons = [
      await interleave('sign-up', 202, signUpUsed, signUpNew, samples, pauseMs),
      await interleave('password reset', 202, resetKnown, resetUnknown, samples, pauseMs),
    ];
    await sleep(500);
    const mailed = (relay.received.get(usedEmail) ?? 0) - before;

    let failed = false;
    console.log('\n| case | used/existing p50 (p90) | new/unknown p50 (p90) | used ÷ new |');
    console.log('|---|---|---|---|');
    for (const c of comparisons) {
      const [u, f] = [median(c.used), median(c.fresh)];
      const ratio = u / f;
      // Slower either way tells: an address nobody has could be the slow one just as well.
      const worst = Math.max(ratio, 1 / ratio);
      if (worst > maxRatio) failed = true;
      console.log(
        `| ${c.name} | ${round1(u)} ms (${round1(p90(c.used))}) | ${round1(f)} ms (${round1(p90(c.fresh))}) | ${ratio.toFixed(3)}${worst > maxRatio ? ` > ${maxRatio}` : ''} |`,
      );
    }
    // The deferred work must really have happened, or the comparison measured nothing.
    console.log(
      `\nmails to the used address during the measurement: ${mailed} (expected ${2 * samples}: notices and reset links)`,
    );
    if (mailed < 2 * samples) {
      console.error('fewer mails than requests: the deferred work did not run');
      failed = true;
    }
    console.log(failed ? `FAIL: a ratio exceeds ${maxRatio}, or mail is missing` : `ok: both ratios within ${maxRatio}`);
    return failed ? 1 : 0;
  } finally {
    await stopAll();
    redis.disconnect();
    relay.server.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof UsageError ? `${error.message}\n\n${HELP}` : error);
    void stopAll().finally(() => process.exit(2));
  },
);
