/**
 * @module Standalone Node server for the Hono app (`npm run api`): same env files as Next.js
 * (loaded by @next/env), port from PORT (default 8787). Used by load tests and non-web clients.
 * With API_WORKERS > 1 it runs that many processes sharing the port (node:cluster): a refresh is
 * CPU-bound in one thread, and every piece of session state lives in Redis, so workers scale it out.
 */
import cluster from 'node:cluster';
import { serve } from '@hono/node-server';
import nextEnv from '@next/env';
import { z } from 'zod';
import { ConfigError, getConfig, parseEnv, parseTelemetrySettings } from '../../lib/config/env';
import { warmUp } from '../../lib/health';
import { getAppServices } from '../../lib/services/app-services';
import { settled } from '../../lib/runtime/deferred';
import { registerNodeTelemetry } from '../../ops/telemetry/node';
import { createApp } from './app';

/** A whole-number variable within [min, max], with one message for every way it can be wrong. */
const wholeNumber = (min: number, max: number, fallback: number) => {
  const message = `must be a whole number from ${min} to ${max}`;
  return z.coerce.number({ error: message }).int(message).min(min, message).max(max, message).default(fallback);
};
/** Settings of the standalone server only (Vercel and `next start` ignore them). */
const serverSettings = z.object({
  PORT: wholeNumber(0, 65_535, 8787),
  HOST: z.string().min(1).default('127.0.0.1'),
  API_WORKERS: wholeNumber(1, 64, 1),
});

/** Every variable the standalone server reads besides the app configuration. */
export const SERVER_VARIABLES = Object.keys(serverSettings.shape);

/** The standalone server's settings from env; throws a ConfigError naming each bad one. */
export function parseServerSettings(env: Record<string, string | undefined>): z.infer<typeof serverSettings> {
  return parseEnv(serverSettings, env);
}

/** Starts the server; resolves once it listens. */
export async function startApiServer(port: number, hostname = '127.0.0.1') {
  // Build every service before listening, so a bad key or URL fails the start, not the first request.
  const services = await getAppServices();
  await warmUp(services.users);
  const app = createApp();
  return new Promise<{ port: number; close: () => Promise<void> }>((resolve) => {
    const server = serve({ fetch: app.fetch, port, hostname }, (info) =>
      resolve({
        port: info.port,
        close: () => new Promise<void>((done) => server.close(() => done())),
      }),
    );
  });
}

/** Forks the workers and supervises them: a worker that dies takes the server down, so its supervisor restarts it whole. */
function runPrimary(workers: number, host: string, port: number): void {
  const where = `http://${host}:${port}`;
  let stopping = false;
  let listening = 0;
  const stopWorkers = () => {
    stopping = true;
    for (const worker of Object.values(cluster.workers ?? {})) worker?.kill('SIGTERM');
  };
  // Only the API's port counts: a worker's metrics server (METRICS_PORT) listens too.
  cluster.on('listening', (_worker, address) => {
    if (port !== 0 && address.port !== port) return;
    if (++listening === workers) console.log(`auth API listening on ${where} (${workers} workers)`);
  });
  cluster.on('exit', (worker, code, signal) => {
    if (!stopping) {
      console.error(`API worker ${worker.process.pid} exited (${signal ?? `code ${code}`}); stopping the server`);
      process.exitCode = 1;
      stopWorkers();
    }
    if (Object.keys(cluster.workers ?? {}).length === 0) process.exit();
  });
  process.on('SIGINT', stopWorkers);
  process.on('SIGTERM', stopWorkers);
  for (let i = 0; i < workers; i++) cluster.fork();
}

const isMain = import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('api/_hono/server.ts');
if (isMain) {
  nextEnv.loadEnvConfig(process.cwd(), process.env.NODE_ENV !== 'production');
  // Both checks run, so one start names every bad variable.
  const problems: string[] = [];
  const check = <T>(parse: () => T): T | undefined => {
    try {
      return parse();
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems.push(error.message);
      return undefined;
    }
  };
  check(getConfig);
  check(() => parseTelemetrySettings(process.env));
  const settings = check(() => parseServerSettings(process.env));
  if (!settings || problems.length > 0) {
    console.error(problems.join('\n'));
    process.exit(1);
  }
  const { PORT: port, HOST: host, API_WORKERS: workers } = settings;
  if (workers > 1 && cluster.isPrimary) {
    runPrimary(workers, host, port);
  } else {
    // Registered before the services are built, so every Redis and database call is traced. Each worker serves
    // its own metrics on METRICS_PORT + (worker number - 1): a shared port would answer with a random worker's.
    const offset = cluster.worker ? cluster.worker.id - 1 : 0;
    const metricsPort = process.env.METRICS_PORT ? { METRICS_PORT: String(Number(process.env.METRICS_PORT) + offset) } : {};
    const telemetry = await registerNodeTelemetry({ ...process.env, ...metricsPort });
    if (telemetry?.metricsUrl) console.log(`metrics (Prometheus text) on ${telemetry.metricsUrl}`);
    const { port: bound, close } = await startApiServer(port, host);
    if (workers === 1) console.log(`auth API listening on http://${host}:${bound}`);
    // Mail that routes sent after their answers (no waitUntil here) finishes before the process goes.
    const stop = () =>
      void close()
        .then(settled)
        .then(() => telemetry?.shutdown())
        .then(() => process.exit(0));
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  }
}
