/**
 * @module Builds the chaos run's stack: Redis primary + replica (AOF everysec), the Upstash bridge behind a
 * fault proxy (the REST endpoint the API calls), PostgreSQL behind another fault proxy, and the standalone API
 * configured as scripts/loadtest/start-stack.sh configures it (grace 1 s, cheap PBKDF2, raised rate limits).
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig } from '../../../lib/config/env';
import { freshSecrets } from '../../../lib/config/secrets';
import { migrate } from '../../../lib/db/migrator';
import { limitOverrides } from '../../../lib/rate-limit/table';
import { FaultProxyProcess, freePort, NodeService, RedisNode } from './stack';

/** Where the run's pieces listen and log. */
export interface StackOptions {
  dir: string;
  portFrom: number;
  portTo: number;
  /** The database behind the PostgreSQL fault proxy (created beforehand). */
  database: string;
  pgHost: string;
  pgPort: number;
  apiWorkers: number;
  graceSeconds: number;
}

/** The running stack. `primary` is whichever node currently takes writes (it changes at a failover). */
export interface ChaosStack {
  primary: RedisNode;
  replica: RedisNode;
  bridge: NodeService;
  bridgePort: number;
  bridgeEnv: NodeJS.ProcessEnv;
  restProxy: FaultProxyProcess;
  pgProxy: FaultProxyProcess;
  api: NodeService;
  apiPort: number;
  apiUrl: string;
  /** The API's environment now (secrets change at the rotation fault). Never logged. */
  apiEnv: NodeJS.ProcessEnv;
  /** Worker n's Prometheus text is on this port + n - 1 (127.0.0.1). */
  metricsPort: number;
  restToken: string;
}

/** The secrets the rotation fault turns into key rings. */
export const RING_SECRETS = ['REFRESH_TOKEN_SECRET', 'AUTH_SECRET', 'OAUTH_CALLER_SECRET'] as const;

/** Starts everything, migrated and ready; the caller stops it with stopAll(). */
export async function startStack(o: StackOptions, log: (line: string) => void): Promise<ChaosStack> {
  mkdirSync(o.dir, { recursive: true });
  const taken = new Set<number>();
  const port = () => freePort(o.portFrom, o.portTo, taken);
  // The workers' metrics ports come first, consecutive (worker n serves METRICS_PORT + n - 1).
  const metricsPort = await port();
  for (let i = 1; i < o.apiWorkers; i++) taken.add(metricsPort + i);
  const [primaryPort, replicaPort, bridgePort, restPort, restControl, pgPort, pgControl, apiPort] = [
    await port(),
    await port(),
    await port(),
    await port(),
    await port(),
    await port(),
    await port(),
    await port(),
  ] as number[] as [number, number, number, number, number, number, number, number];

  const primary = new RedisNode('redis-a', primaryPort, join(o.dir, 'redis-a'));
  const replica = new RedisNode('redis-b', replicaPort, join(o.dir, 'redis-b'));
  await primary.start();
  await replica.start(primaryPort);
  log(`redis primary :${primaryPort}, replica :${replicaPort} (AOF everysec)`);

  const restToken = randomUUID();
  const bridgeEnv: NodeJS.ProcessEnv = {
    ...process.env,
    UPSTASH_REDIS_REST_TOKEN: restToken,
    UPSTASH_BRIDGE_PORT: String(bridgePort),
    REDIS_URL: `redis://127.0.0.1:${primaryPort}`,
  };
  const bridge = new NodeService(
    'bridge',
    'tools/upstash-bridge/server.ts',
    `http://127.0.0.1:${bridgePort}/health`,
    join(o.dir, 'bridge.log'),
  );
  await bridge.start(bridgeEnv);
  const restProxy = new FaultProxyProcess(
    'rest-proxy',
    restPort,
    restControl,
    `127.0.0.1:${bridgePort}`,
    join(o.dir, 'rest-proxy.log'),
  );
  const pgProxy = new FaultProxyProcess('pg-proxy', pgPort, pgControl, `${o.pgHost}:${o.pgPort}`, join(o.dir, 'pg-proxy.log'));
  await Promise.all([restProxy.start(), pgProxy.start()]);
  log(`bridge :${bridgePort} behind fault proxy :${restPort}; PostgreSQL ${o.pgHost}:${o.pgPort} behind fault proxy :${pgPort}`);

  await migrate({ url: `postgresql://postgres@${o.pgHost}:${o.pgPort}/${o.database}` });
  const apiEnv: NodeJS.ProcessEnv = {
    ...process.env,
    ...(await freshSecrets()),
    UPSTASH_REDIS_REST_URL: `http://127.0.0.1:${restPort}`,
    UPSTASH_REDIS_REST_TOKEN: restToken,
    DATABASE_URL: `postgresql://postgres@127.0.0.1:${pgPort}/${o.database}`,
    REFRESH_GRACE_SECONDS: String(o.graceSeconds),
    PASSWORD_PBKDF2_ITERATIONS: '1000',
    NODE_ENV: 'test',
    PORT: String(apiPort),
    HOST: '127.0.0.1',
    API_WORKERS: String(o.apiWorkers),
    // Prometheus text per worker on loopback, read around each fault (counters.ts).
    METRICS_PORT: String(metricsPort),
    EMAIL_VERIFICATION: 'off',
    // One line per refresh would cost the shared CPUs more than the run itself; warnings (reuse) stay.
    LOG_LEVEL: 'warn',
    // Every client comes from 127.0.0.1: every limit raised (their checks still run), as start-stack.sh does.
    ...limitOverrides('9999999/1'),
  };
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  const api = new NodeService('api', 'api/_hono/server.ts', `${apiUrl}/api/v1/noop`, join(o.dir, 'api.log'));
  await api.start(apiEnv);
  log(`API ${apiUrl} (${o.apiWorkers} workers, grace ${o.graceSeconds} s)`);
  return {
    primary,
    replica,
    bridge,
    bridgePort,
    bridgeEnv,
    restProxy,
    pgProxy,
    api,
    apiPort,
    apiUrl,
    apiEnv,
    metricsPort,
    restToken,
  };
}

/**
 * Whether this build reads each secret as a key ring (a comma-separated list, newest first): parsed with the
 * app's own configuration code. Without it, "new,old" is one secret, and every token tagged with the old one fails.
 */
export function keyRingSupport(env: NodeJS.ProcessEnv): Record<(typeof RING_SECRETS)[number], boolean> {
  const out = {} as Record<(typeof RING_SECRETS)[number], boolean>;
  for (const name of RING_SECRETS) {
    const a = 'a'.repeat(40);
    const b = 'b'.repeat(40);
    try {
      const parsed = parseConfig({ ...env, [name]: `${a},${b}` }) as unknown as Record<string, unknown>;
      out[name] = typeof parsed[name] !== 'string';
    } catch {
      out[name] = false;
    }
  }
  return out;
}
