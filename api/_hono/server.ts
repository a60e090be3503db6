/**
 * @module Standalone Node server for the Hono app (`npm run api`): same env files as Next.js
 * (loaded by @next/env), port from PORT (default 8787). Used by load tests and non-web clients.
 */
import { serve } from '@hono/node-server';
import nextEnv from '@next/env';
import { ConfigError, getConfig } from '../../lib/config/env';
import { getAppServices } from '../../lib/services/auth-service';
import { createApp } from './app';

/** Starts the server; resolves once it listens. */
export async function startApiServer(port: number, hostname = '127.0.0.1') {
  // Build every service before listening, so a bad key or URL fails the start, not the first request.
  await getAppServices();
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

const isMain = import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('api/_hono/server.ts');
if (isMain) {
  nextEnv.loadEnvConfig(process.cwd(), process.env.NODE_ENV !== 'production');
  try {
    getConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
  const port = Number(process.env.PORT ?? 8787);
  const { port: bound, close } = await startApiServer(port, process.env.HOST ?? '127.0.0.1');
  console.log(`auth API listening on http://${process.env.HOST ?? '127.0.0.1'}:${bound}`);
  const stop = () => void close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
