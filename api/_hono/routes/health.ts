/** @module GET /health and GET /.well-known/jwks.json: the public, read-only routes. */
import { Hono } from 'hono';
import { checkHealth } from '../../../lib/health';
import type { AppServices } from '../../../lib/services/app-services';

/** GET /health: 200 when Redis and the database answer, 503 otherwise. No secrets in the body. */
export function healthRoutes(services: () => Promise<AppServices>) {
  return new Hono().get('/', async (c) => {
    const { redis, users, config } = await services();
    const report = await checkHealth(redis, users, {
      redisMs: config.REDIS_TIMEOUT_MS,
      databaseMs: config.DATABASE_TIMEOUT_MS,
    });
    c.header('Cache-Control', 'no-store');
    return c.json(report, report.status === 'ok' ? 200 : 503);
  });
}

/** GET /.well-known/jwks.json: the public keys that verify access tokens. */
export function jwksRoutes(services: () => Promise<AppServices>) {
  return new Hono().get('/', async (c) => {
    const { keys } = await services();
    c.header('Cache-Control', 'public, max-age=300');
    return c.json(keys.jwks);
  });
}
