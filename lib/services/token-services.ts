/**
 * @module Wiring of the edge-safe token services (Redis, keys, rotation engine) from config.
 * Imports nothing that touches the database, so middleware and auth.config.ts may use it.
 */
import type { Config } from '../config/env';
import { getConfig } from '../config/env';
import { createRedis, type Redis } from '../redis/client';
import { ConnectivityProbe } from '../redis/connectivity';
import type { AccessTokenSettings } from '../tokens/access-token';
import { loadKeySet, type KeySet, type SigningJwk } from '../tokens/keys';
import { RefreshTokenCodec } from '../tokens/refresh-token';
import { RotationEngine } from '../tokens/rotation';
import { SessionDirectory } from '../tokens/sessions';
import { RateLimits } from '../rate-limit/limits';
import { limitRules } from '../rate-limit/table';

/** The token-side services of one process or isolate. */
export interface TokenServices {
  config: Config;
  redis: Redis;
  keys: KeySet;
  accessTokens: AccessTokenSettings;
  rotation: RotationEngine;
  sessions: SessionDirectory;
  redisProbe: ConnectivityProbe;
  limits: RateLimits;
}

/** Builds the token services for a configuration. */
export async function buildTokenServices(config: Config): Promise<TokenServices> {
  const redis = createRedis({
    url: config.UPSTASH_REDIS_REST_URL,
    token: config.UPSTASH_REDIS_REST_TOKEN,
    timeoutMs: config.REDIS_TIMEOUT_MS,
  });
  const keys = await loadKeySet(config.ACCESS_TOKEN_SIGNING_KEYS as SigningJwk[]);
  const codec = RefreshTokenCodec.create(config.REFRESH_TOKEN_SECRET);
  const rotation = new RotationEngine(redis, codec, {
    graceSeconds: config.REFRESH_GRACE_SECONDS,
    idleSeconds: config.SESSION_IDLE_TTL_SECONDS,
    absoluteSeconds: config.SESSION_ABSOLUTE_TTL_SECONDS,
    refreshLimit: config.RATE_LIMIT_REFRESH_PER_SESSION,
    tombstoneSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
    replicaWait: { replicas: config.REDIS_WAIT_REPLICAS, timeoutMs: config.REDIS_WAIT_TIMEOUT_MS },
  });
  const accessTokens = {
    issuer: config.jwtIssuer,
    audience: config.JWT_AUDIENCE,
    ttlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
  };
  const sessions = new SessionDirectory(redis, rotation, config.SESSION_IDLE_TTL_SECONDS);
  // Middleware asks this instead of pinging per request; a down Redis is noticed within one interval.
  const redisProbe = new ConnectivityProbe(redis, config.REDIS_HEALTH_INTERVAL_MS, Math.min(500, config.REDIS_TIMEOUT_MS));
  const limits = new RateLimits(redis, limitRules(config));
  return { config, redis, keys, accessTokens, rotation, sessions, redisProbe, limits };
}

let cached: Promise<TokenServices> | undefined;

/** The process-wide token services, built from process.env on first use. */
export function getTokenServices(): Promise<TokenServices> {
  cached ??= buildTokenServices(getConfig());
  return cached;
}
