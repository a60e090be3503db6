/** @module lib/db/migrator — applies prisma/migrations/* to PostgreSQL without Prisma's native engine, keeping `_prisma_migrations` compatible with `prisma migrate deploy`. Node only (scripts and tests). */
import { createHash, randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

/** Default migrations folder: <repo>/prisma/migrations. */
export const DEFAULT_MIGRATIONS_DIR = fileURLToPath(new URL('../../prisma/migrations', import.meta.url));

// Prisma Migrate's own advisory-lock id: taking the same lock also serialises us
// against a real `prisma migrate deploy` running at the same time.
const PRISMA_MIGRATE_LOCK_ID = 72707369;

// Same DDL as the schema engine's create_migrations_table for PostgreSQL.
const CREATE_MIGRATIONS_TABLE = `
CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    id                      VARCHAR(36) PRIMARY KEY NOT NULL,
    checksum                VARCHAR(64) NOT NULL,
    finished_at             TIMESTAMPTZ,
    migration_name          VARCHAR(255) NOT NULL,
    logs                    TEXT,
    rolled_back_at          TIMESTAMPTZ,
    started_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
    applied_steps_count     INTEGER NOT NULL DEFAULT 0
)`;

export interface MigrateOptions {
  /** postgres:// or postgresql:// URL of the target database. */
  url: string;
  migrationsDir?: string;
  /** Receives one human-readable line per event; defaults to console.log. */
  log?: (line: string) => void;
  /** How long to wait for another migrator's lock, in ms (default 60 s). */
  lockTimeoutMs?: number;
}

export interface MigrateResult {
  applied: string[];
  alreadyApplied: string[];
  createdDatabase: boolean;
}

interface LocalMigration {
  name: string;
  sql: string;
  checksum: string;
}

interface HistoryRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
}

/** Throws unless `url` is a postgres:// or postgresql:// URL (Accelerate URLs cannot run DDL). */
export function assertDirectPostgresUrl(url: string, variable: string): void {
  let protocol: string;
  try {
    protocol = new URL(url).protocol;
  } catch {
    throw new Error(`${variable} is not a valid URL`);
  }
  if (protocol !== 'postgres:' && protocol !== 'postgresql:') {
    throw new Error(
      `${variable} must be a postgres:// or postgresql:// URL to run migrations (got ${protocol}//…). ` +
        'Set DATABASE_DIRECT_URL to the direct TCP URL of the database behind Accelerate.',
    );
  }
}

/** Reads every <dir>/<name>/migration.sql in name order, with Prisma's checksum (sha256 hex of the file). */
export async function readMigrations(dir: string = DEFAULT_MIGRATIONS_DIR): Promise<LocalMigration[]> {
  const lock = await readFile(path.join(dir, 'migration_lock.toml'), 'utf8').catch(() => '');
  if (lock && !/provider\s*=\s*"postgresql"/.test(lock)) {
    throw new Error(`${dir}/migration_lock.toml is not for provider "postgresql"`);
  }
  const entries = await readdir(dir, { withFileTypes: true });
  const names = entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  return Promise.all(
    names.map(async (name) => {
      const sql = await readFile(path.join(dir, name, 'migration.sql'), 'utf8');
      return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    }),
  );
}

/** Connects to `url`, creating its database first (via the `postgres` database) if it does not exist. */
async function connectCreatingDatabase(url: string): Promise<{ client: pg.Client; created: boolean }> {
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
    return { client, created: false };
  } catch (error) {
    if ((error as { code?: string }).code !== '3D000') throw error; // 3D000 = invalid_catalog_name
  }
  const target = new URL(url);
  const database = decodeURIComponent(target.pathname.replace(/^\//, ''));
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const adminClient = new pg.Client({ connectionString: admin.toString() });
  await adminClient.connect();
  let created = true;
  try {
    await adminClient.query(`CREATE DATABASE "${database.replaceAll('"', '""')}"`);
  } catch (error) {
    // Created concurrently by another run: 42P04, or 23505 when both inserted into pg_database at once.
    const code = (error as { code?: string }).code;
    if (code !== '42P04' && code !== '23505') throw error;
    created = false;
  } finally {
    await adminClient.end();
  }
  const retry = new pg.Client({ connectionString: url });
  await retry.connect();
  return { client: retry, created };
}

async function acquireLock(client: pg.Client, timeoutMs: number, log: (line: string) => void): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let announced = false;
  for (;;) {
    const { rows } = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [PRISMA_MIGRATE_LOCK_ID]);
    if (rows[0]?.ok) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for the migration lock`);
    if (!announced) log('waiting for another migration run to finish…');
    announced = true;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Applies pending migrations in order, each in its own transaction; idempotent and safe to run concurrently. */
export async function migrate(options: MigrateOptions): Promise<MigrateResult> {
  const log = options.log ?? ((line: string) => console.log(line));
  const migrations = await readMigrations(options.migrationsDir);
  const { client, created } = await connectCreatingDatabase(options.url);
  if (created) log(`created database ${decodeURIComponent(new URL(options.url).pathname.slice(1))}`);
  try {
    await acquireLock(client, options.lockTimeoutMs ?? 60_000, log);
    await client.query(CREATE_MIGRATIONS_TABLE);
    const { rows } = await client.query<HistoryRow>(
      'SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations" ORDER BY started_at',
    );
    // Same rule as Prisma: a row that started but neither finished nor was rolled back blocks everything (P3009).
    const failed = rows.filter((r) => r.finished_at === null && r.rolled_back_at === null);
    if (failed.length > 0) {
      throw new Error(
        `failed migration(s) recorded in _prisma_migrations: ${failed.map((r) => r.migration_name).join(', ')}; ` +
          'fix the database, then mark them rolled back (set rolled_back_at) before migrating again',
      );
    }
    const done = new Map(rows.filter((r) => r.rolled_back_at === null).map((r) => [r.migration_name, r]));
    const result: MigrateResult = { applied: [], alreadyApplied: [], createdDatabase: created };
    for (const migration of migrations) {
      const previous = done.get(migration.name);
      if (previous) {
        if (previous.checksum !== migration.checksum) {
          log(`warning: ${migration.name} was modified after it was applied (checksum differs)`);
        }
        result.alreadyApplied.push(migration.name);
        continue;
      }
      const started = Date.now();
      try {
        await client.query('BEGIN');
        await client.query(migration.sql);
        await client.query(
          `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, finished_at, applied_steps_count)
           VALUES ($1, $2, $3, now(), clock_timestamp(), 1)`,
          [randomUUID(), migration.checksum, migration.name],
        );
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw new Error(`migration ${migration.name} failed and was rolled back: ${(error as Error).message}`, {
          cause: error,
        });
      }
      result.applied.push(migration.name);
      log(`applied ${migration.name} (${Date.now() - started} ms)`);
    }
    return result;
  } finally {
    // Closing the session also releases the advisory lock.
    await client.end();
  }
}
