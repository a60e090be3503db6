/** @module scripts/db/local-accelerate-server — an Accelerate-compatible HTTP endpoint in front of the real PostgreSQL, built from @prisma/query-plan-executor (the engine inside `prisma dev`); runs on Node 20. Started by scripts/db/local-accelerate.sh. */
import { createRequire } from 'node:module';
import { installOtelContextManager } from './edge-shims.mjs';

installOtelContextManager(); // before the executor handles its first request
const { Server, parseDuration, parseSize, version } = await import('@prisma/query-plan-executor');
const { serve } = await import('@hono/node-server');

const databaseUrl = process.env.DATABASE_DIRECT_URL ?? 'postgresql://postgres@127.0.0.1:5432/authdev';
const port = Number(process.env.LOCAL_ACCELERATE_PORT ?? 51400);

// Query plans are compiled by the client and executed here: keep both on the same release.
const clientVersion = createRequire(import.meta.url)('@prisma/client/package.json').version;
if (clientVersion !== version) {
  console.error(
    `warning: @prisma/query-plan-executor ${version} != @prisma/client ${clientVersion}; pin them to the same version`,
  );
}

const executor = await Server.create({
  databaseUrl,
  maxResponseSize: parseSize('128 MiB'),
  queryTimeout: parseDuration('PT30S'),
  maxTransactionTimeout: parseDuration('PT60S'),
  maxTransactionWaitTime: parseDuration('PT10S'),
  perRequestLogContext: { logFormat: 'text', logLevel: process.env.LOCAL_ACCELERATE_LOG ?? 'off' },
});

const server = serve({ fetch: executor.fetch, port, hostname: '127.0.0.1' }, () => {
  // The executor ignores the API key, but Prisma Client requires one in the URL.
  const accelerateUrl = `prisma+postgres://localhost:${port}/?api_key=local-dev`;
  console.log(JSON.stringify({ ready: true, accelerateUrl, directUrl: databaseUrl, executorVersion: version }));
});

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    server.close();
    executor.shutdown().finally(() => process.exit(0));
  });
}
