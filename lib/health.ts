/** @module Dependency health: Redis and the database, each with status and latency, bounded in time. */
import type { Redis } from './redis/client';
import { TimeoutError, withTimeout } from './runtime/with-timeout';
import type { UserRepository } from './users/repository';

/** One dependency's state. */
export interface DependencyHealth {
  status: 'up' | 'down';
  latencyMs: number;
  error?: string;
}

/** The whole report. */
export interface HealthReport {
  status: 'ok' | 'degraded';
  checks: { redis: DependencyHealth; database: DependencyHealth };
}

async function probe(check: () => Promise<unknown>, timeoutMs: number): Promise<DependencyHealth> {
  const started = performance.now();
  try {
    await withTimeout(check(), timeoutMs);
    return { status: 'up', latencyMs: Math.round((performance.now() - started) * 10) / 10 };
  } catch (error) {
    // Only the error's kind, never its message: driver messages can carry connection strings.
    const kind = error instanceof TimeoutError ? 'timeout' : 'unreachable';
    return { status: 'down', latencyMs: Math.round(performance.now() - started), error: kind };
  }
}

/** How long each dependency may take to answer before it counts as down. */
export interface HealthTimeouts {
  redisMs: number;
  databaseMs: number;
}

/** Checks Redis and the database in parallel, each against its own timeout. */
export async function checkHealth(redis: Redis, users: UserRepository, timeouts: HealthTimeouts): Promise<HealthReport> {
  const [redisHealth, database] = await Promise.all([
    probe(() => redis.ping(), timeouts.redisMs),
    probe(() => users.ping(), timeouts.databaseMs),
  ]);
  const ok = redisHealth.status === 'up' && database.status === 'up';
  return { status: ok ? 'ok' : 'degraded', checks: { redis: redisHealth, database } };
}

/**
 * Opens the database connection once, at start, so that a health check right after boot measures a
 * query rather than a connect. A failure is not fatal here: the health check reports it.
 */
export async function warmUp(users: UserRepository): Promise<void> {
  await users.ping().catch(() => undefined);
}
