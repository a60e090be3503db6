/** @module upstash-bridge — a local Upstash-REST-compatible HTTP server that forwards to a real redis-server. */
import { realpathSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import {
  connectCluster,
  connectRedis,
  loadCommandNames,
  parseNodes,
  parseScriptLoad,
  readFromReplica,
  redactUrl,
  singleBackend,
} from './backends';
import { createHandler, type RecordedRequest } from './http';

export type { Cmd } from './commands';
export type { RecordedRequest } from './http';

const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/** Every variable the bridge reads. */
export const BRIDGE_VARIABLES = [
  'UPSTASH_BRIDGE_HOST',
  'UPSTASH_BRIDGE_PORT',
  'UPSTASH_REDIS_REST_TOKEN',
  'REDIS_URL',
  'REDIS_CLUSTER_NODES',
  'UPSTASH_BRIDGE_SCRIPT_LOAD',
];

/** Where to listen, the bearer token clients must send, and the redis-server (or Redis Cluster) to forward to. */
export interface BridgeOptions {
  port?: number;
  host?: string;
  token?: string;
  redisUrl?: string;
  /** Seed nodes (`host:port`) of a Redis Cluster: every command, and every command of a pipeline, goes to the master of its slot. */
  clusterNodes?: string[];
  /**
   * A replica of `redisUrl` that serves the read-only commands, as an Upstash Global database serves reads
   * from the nearest replica; writes, scripts and transactions still go to `redisUrl`. A replica that lags
   * (its link broken or paused by a test) answers with what it has. Not with `clusterNodes`.
   */
  readReplicaUrl?: string;
  /** Cluster mode: `all` sends SCRIPT LOAD to every master; `one` to one master only, as a naive proxy does. */
  scriptLoad?: 'all' | 'one';
  /** Called for every HTTP request the bridge served: its commands and its size on the wire (tests, cost counting). */
  onRequest?: (request: RecordedRequest) => void;
}

/** A running bridge: its base URL (for `new Redis({ url, token })`) and a graceful close. */
export interface Bridge {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Start the bridge; unset options fall back to UPSTASH_BRIDGE_PORT/HOST, UPSTASH_REDIS_REST_TOKEN, REDIS_URL. */
export async function startBridge(opts: BridgeOptions = {}): Promise<Bridge> {
  const env = process.env;
  const token = opts.token ?? env.UPSTASH_REDIS_REST_TOKEN;
  if (!token) throw new Error('upstash-bridge: a token is required (opts.token or UPSTASH_REDIS_REST_TOKEN)');
  const host = opts.host ?? env.UPSTASH_BRIDGE_HOST ?? '127.0.0.1';
  const port = opts.port ?? parsePort(env.UPSTASH_BRIDGE_PORT ?? '8079');
  const redisUrl = opts.redisUrl ?? env.REDIS_URL ?? DEFAULT_REDIS_URL;
  const clusterNodes = opts.clusterNodes ?? parseNodes(env.REDIS_CLUSTER_NODES);
  const scriptLoad = opts.scriptLoad ?? parseScriptLoad(env.UPSTASH_BRIDGE_SCRIPT_LOAD);

  const backend =
    clusterNodes.length > 0
      ? await connectCluster(clusterNodes, scriptLoad)
      : singleBackend(await connectRedis(redisUrl), redisUrl);
  if (opts.readReplicaUrl && clusterNodes.length === 0) await readFromReplica(backend, await connectRedis(opts.readReplicaUrl));
  let server: ReturnType<typeof createServer>;
  try {
    const commands = await loadCommandNames(backend);
    server = createServer(createHandler(backend, token, commands, opts.onRequest));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    backend.disconnect();
    throw err;
  }
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${bound}`,
    port: bound,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        // Keep-alive sockets with a request in flight get one second to finish.
        setTimeout(() => server.closeAllConnections(), 1000).unref();
      });
      await backend.quit();
    },
  };
}

function parsePort(raw: string): number {
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`upstash-bridge: invalid port "${raw}"`);
  return port;
}

async function main(): Promise<void> {
  if (!process.env.UPSTASH_REDIS_REST_TOKEN) {
    console.error('upstash-bridge: UPSTASH_REDIS_REST_TOKEN is required (the bearer token clients must send)');
    process.exit(1);
  }
  let bridge: Bridge;
  try {
    bridge = await startBridge();
  } catch (err) {
    console.error((err as Error).message);
    process.exit(1);
  }
  const target = process.env.REDIS_CLUSTER_NODES
    ? `cluster ${process.env.REDIS_CLUSTER_NODES}`
    : redactUrl(process.env.REDIS_URL ?? DEFAULT_REDIS_URL);
  console.log(`upstash-bridge listening on ${bridge.url} -> ${target}`);
  const stop = (): void => {
    process.once('SIGINT', () => process.exit(130)); // a second Ctrl-C skips the graceful close
    bridge.close().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(`upstash-bridge: error while closing: ${(err as Error).message}`);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

function invokedDirectly(): boolean {
  try {
    return process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url);
  } catch {
    return false; // argv[1] is not a file (REPL, node -e)
  }
}
if (invokedDirectly()) await main();
