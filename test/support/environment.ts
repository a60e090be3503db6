/**
 * Test environment on the real services: an Upstash bridge in front of the real redis-server, a
 * migrated PostgreSQL database, and the Hono app served over real HTTP on an ephemeral port.
 * With REDIS_CLUSTER_NODES set (scripts/test/cluster.sh), the bridge runs in cluster mode in front of a
 * Redis Cluster instead. Either way every command is recorded, and closing fails the test file if any
 * command passed keys of different cluster slots.
 */
import { serve } from '@hono/node-server';
import { createApp } from '../../api/_hono/app';
import { warmUp } from '../../lib/health';
import { parseConfig, type Config } from '../../lib/config/env';
import { buildAppServices, prismaFactorStores, type AppServices } from '../../lib/services/app-services';
import { buildTokenServices } from '../../lib/services/token-services';
import { PrismaUserRepository } from '../../lib/users/prisma-repository';
import { createPrismaClient } from '../../lib/db/client';
import { startBridge, type Bridge, type Cmd, type RecordedRequest } from '../../tools/upstash-bridge/server';
import { freshSecrets } from '../../lib/config/secrets';
import { limitOverrides, ONE_CLIENT_SCOPES } from '../../lib/rate-limit/table';
import { assertSingleSlot } from './slots';
import { settled } from '../../lib/runtime/deferred';

/** The test database (migrated by `npm test` before the tests run). */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/authtest';

export interface TestEnvironment {
  config: Config;
  services: AppServices;
  baseUrl: string;
  /** POSTs JSON to a path of the API; resolves once the work it deferred past its answer (mail) is done. */
  post(path: string, body?: unknown, headers?: Record<string, string>): Promise<Response>;
  /** Presents a refresh token; returns the status and parsed body. */
  refresh(token: string): Promise<{ status: number; body: Record<string, any> }>;
  /**
   * Calls `/api/v1/auth<path>` with an optional bearer and JSON body (a string is sent as it is); returns the
   * status, headers and parsed body once the work deferred past the answer is done.
   */
  call(method: string, path: string, token?: string, body?: unknown): Promise<ApiAnswer>;
  /** Every Redis command the bridge has run so far. */
  commands: Cmd[];
  /** Every HTTP request the bridge has served so far (its commands and bytes). */
  requests: RecordedRequest[];
  /**
   * Points the bridge at another redis-server (a promoted replica, a restarted server): the bridge is
   * restarted on the same URL, as an Upstash endpoint that fails over keeps its address.
   */
  useRedis(redisUrl: string): Promise<void>;
  close(): Promise<void>;
}

/** An API answer as the tests read it. */
export interface ApiAnswer {
  status: number;
  headers: Headers;
  body: Record<string, any>;
}

/** Options of a test environment beyond env overrides. */
export interface TestEnvironmentOptions {
  /** The redis-server behind the bridge (default: REDIS_URL, as the bridge reads it). */
  redisUrl?: string;
  /** A replica of it that serves the reads, as on Upstash Global (the bridge's read-replica mode). */
  readReplicaUrl?: string;
}

/** A bridge (cluster mode when REDIS_CLUSTER_NODES is set) that records every command it runs. */
async function startRecordingBridge(
  token: string,
  redisUrl?: string,
  readReplicaUrl?: string,
): Promise<{
  bridge: Bridge;
  commands: Cmd[];
  requests: RecordedRequest[];
  useRedis(redisUrl: string): Promise<void>;
  close(): Promise<void>;
}> {
  const commands: Cmd[] = [];
  const requests: RecordedRequest[] = [];
  const onRequest = (request: RecordedRequest) => {
    requests.push(request);
    commands.push(...request.commands);
  };
  // A given redis-server is used alone, even where REDIS_CLUSTER_NODES would put the bridge in cluster mode.
  const backend = (url: string | undefined) => (url ? { redisUrl: url, clusterNodes: [] } : {});
  let bridge = await startBridge({
    port: 0,
    token,
    onRequest,
    ...backend(redisUrl),
    ...(readReplicaUrl ? { readReplicaUrl } : {}),
  });
  const port = bridge.port;
  return {
    bridge,
    commands,
    requests,
    async useRedis(url) {
      await bridge.close();
      bridge = await startBridge({ port, token, onRequest, ...backend(url) });
    },
    async close() {
      await bridge.close();
      assertSingleSlot(commands);
    },
  };
}

/** Starts bridge + app with test-friendly settings; `overrides` are env variables. */
export async function startTestEnvironment(
  overrides: Record<string, string> = {},
  options: TestEnvironmentOptions = {},
): Promise<TestEnvironment> {
  const token = crypto.randomUUID();
  const {
    bridge,
    commands,
    requests,
    useRedis,
    close: closeBridge,
  } = await startRecordingBridge(token, options.redisUrl, options.readReplicaUrl);
  const config = parseConfig({
    NODE_ENV: 'test',
    UPSTASH_REDIS_REST_URL: bridge.url,
    UPSTASH_REDIS_REST_TOKEN: token,
    DATABASE_URL: TEST_DATABASE_URL,
    PASSWORD_PBKDF2_ITERATIONS: '1000',
    REFRESH_GRACE_SECONDS: '2',
    // Generous limits by default for what every test request shares: it all comes from 127.0.0.1. Limits
    // per account or per session keep their defaults; rate-limit tests set their own.
    ...limitOverrides('100000/60', ONE_CLIENT_SCOPES),
    // Sign-up answers 201 with the user, so tests can sign in at once; verification tests turn it on.
    EMAIL_VERIFICATION: 'off',
    ...(await freshSecrets()),
    ...overrides,
  });
  const prisma = createPrismaClient(config.DATABASE_URL);
  const services = buildAppServices(
    await buildTokenServices(config),
    new PrismaUserRepository(prisma),
    prismaFactorStores(prisma),
  );
  // As the servers do at start (lib/health.ts): the first request measures a query, not a connect.
  await warmUp(services.users);
  const app = createApp(async () => services);
  const server = await new Promise<{ port: number; close: () => void }>((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) =>
      resolve({ port: info.port, close: () => s.close() }),
    );
  });
  const baseUrl = `http://127.0.0.1:${server.port}`;
  const post: TestEnvironment['post'] = async (path, body, headers = {}) => {
    const res = await fetch(baseUrl + path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    // Mail goes out after the answer (lib/runtime/deferred.ts): wait for it, so a test reads the outbox in order.
    await settled();
    return res;
  };
  return {
    config,
    services,
    baseUrl,
    post,
    async refresh(token) {
      const res = await post('/api/v1/auth/refresh-token', { refresh_token: token });
      return { status: res.status, body: (await res.json()) as Record<string, any> };
    },
    async call(method, path, token, body) {
      const res = await fetch(`${baseUrl}/api/v1/auth${path}`, {
        method,
        headers: {
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      });
      await settled();
      const text = await res.text();
      return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : null) as Record<string, any> };
    },
    commands,
    requests,
    useRedis,
    async close() {
      server.close();
      await (await prisma).$disconnect();
      await closeBridge();
    },
  };
}

/** A unique email for one test. */
export const uniqueEmail = (label = 'user') => `${label}-${crypto.randomUUID().slice(0, 8)}@example.test`;

/** Waits the given milliseconds. */
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Just Redis: the bridge plus a client, for tests of the rotation engine. */
export async function startTestRedis(): Promise<{ redis: import('../../lib/redis/client').Redis; close(): Promise<void> }> {
  const token = crypto.randomUUID();
  const { bridge, close } = await startRecordingBridge(token);
  const { createRedis } = await import('../../lib/redis/client');
  return { redis: createRedis({ url: bridge.url, token, timeoutMs: 5_000 }), close };
}
