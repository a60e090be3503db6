/** @module lib/db/client — PrismaClient factory: Accelerate over HTTP (edge-safe) for prisma:// URLs, node-postgres over TCP (Node only) otherwise. */
import { DependencyError } from '../auth/errors';
import { isDatabaseUnavailable } from './errors';
import { telemetry } from '../observability/telemetry';
import { withAccelerate } from '@prisma/extension-accelerate';
import type * as NodeClientModule from './generated/node/client';

/**
 * The client type domain code depends on. Both branches provide it: the Accelerate
 * extension only adds opt-in extras (cacheStrategy, $accelerate), which we don't expose.
 */
export type AppPrismaClient = NodeClientModule.PrismaClient;

/** True for URLs that Prisma Client reaches over HTTP (Accelerate, Prisma Postgres, `prisma dev`). */
export function isAccelerateUrl(url: string): boolean {
  return url.startsWith('prisma://') || url.startsWith('prisma+postgres://');
}

// Next.js replaces process.env.NEXT_RUNTIME at build time, so each bundle keeps only
// its own branch: the edge bundle never sees the Node client (node:fs, node:path…)
// nor pg, and Node (tests, tsx, Next's nodejs runtime) never sees the `.wasm?module` import.
// Keep the comparisons inline (not in a helper) so every bundler can fold them.
async function loadClientModule(): Promise<typeof NodeClientModule> {
  if (process.env.NEXT_RUNTIME === 'edge') {
    // Same schema, same generated API; only the query-compiler loader differs.
    return (await import('./generated/edge/client')) as unknown as typeof NodeClientModule;
  } else {
    // An explicit else (not code after return) is what lets bundlers drop this import on edge.
    return import('./generated/node/client');
  }
}

/** The client, with every query that could not reach the database failing as a DependencyError. */
function asDependency(client: object): AppPrismaClient {
  // Typed loosely: the Node and the Accelerate clients' $extends differ in their generics, not in this use.
  const extendable = client as { $extends(extension: object): unknown };
  return extendable.$extends({
    query: {
      $allOperations({
        model,
        operation,
        args,
        query,
      }: {
        model?: string;
        operation: string;
        args: unknown;
        query: (args: unknown) => Promise<unknown>;
      }) {
        const run = async () => {
          try {
            return await query(args);
          } catch (error) {
            throw isDatabaseUnavailable(error) ? new DependencyError('database', error) : error;
          }
        };
        return telemetry().enabled ? traced(model ?? 'raw', operation, run) : run();
      },
    },
  }) as unknown as AppPrismaClient;
}

/** One span and one latency sample per query, named by model and operation (never its arguments). */
async function traced<T>(model: string, operation: string, run: () => Promise<T>): Promise<T> {
  const sink = telemetry();
  const started = performance.now();
  let outcome = 'ok';
  try {
    return await sink.span(
      `db ${model}.${operation}`,
      'client',
      { 'db.system.name': 'postgresql', 'db.collection.name': model, 'db.operation.name': operation },
      run,
    );
  } catch (error) {
    outcome = 'error';
    throw error;
  } finally {
    sink.observe('auth.db.duration', (performance.now() - started) / 1000, { model, operation, outcome });
  }
}

/** Creates a new client for `url` (Accelerate for prisma:// and prisma+postgres://, else the pg driver adapter). */
export async function createPrismaClient(url: string): Promise<AppPrismaClient> {
  const { PrismaClient } = await loadClientModule();
  if (isAccelerateUrl(url)) {
    return asDependency(new PrismaClient({ accelerateUrl: url }).$extends(withAccelerate()));
  }
  if (process.env.NEXT_RUNTIME !== 'edge') {
    // Imported lazily so edge bundles and Accelerate-only deployments never load pg.
    const { PrismaPg } = await import('@prisma/adapter-pg');
    return asDependency(new PrismaClient({ adapter: new PrismaPg({ connectionString: url }) }));
  }
  throw new Error(
    'The edge runtime cannot open TCP connections: DATABASE_URL must be a prisma:// or prisma+postgres:// URL there.',
  );
}

// On globalThis so that Next.js dev-mode module reloads reuse one client per process/isolate.
const CACHE_KEY = Symbol.for('lib/db/client.getPrisma');
type Cache = { url: string; client: Promise<AppPrismaClient> };
const holder = globalThis as typeof globalThis & { [CACHE_KEY]?: Cache };

/** The process-wide (per-isolate on edge) client for process.env.DATABASE_URL, created on first use. */
export function getPrisma(): Promise<AppPrismaClient> {
  const url = process.env.DATABASE_URL;
  if (!url) return Promise.reject(new Error('DATABASE_URL is not set'));
  const cached = holder[CACHE_KEY];
  if (cached && cached.url === url) return cached.client;
  const client = createPrismaClient(url);
  holder[CACHE_KEY] = { url, client };
  // A failed creation must not be cached forever.
  client.catch(() => {
    if (holder[CACHE_KEY]?.client === client) delete holder[CACHE_KEY];
  });
  return client;
}
