/** @module scripts/db/migrate — CLI: `tsx scripts/db/migrate.ts` applies pending migrations to DATABASE_DIRECT_URL (or DATABASE_URL). */
import { assertDirectPostgresUrl, migrate } from '../../lib/db/migrator';

function targetUrl(): { url: string; variable: string } {
  const direct = process.env.DATABASE_DIRECT_URL;
  if (direct) return { url: direct, variable: 'DATABASE_DIRECT_URL' };
  const url = process.env.DATABASE_URL;
  if (url) return { url, variable: 'DATABASE_URL' };
  throw new Error('set DATABASE_DIRECT_URL (or DATABASE_URL) to a postgresql:// URL');
}

try {
  const { url, variable } = targetUrl();
  assertDirectPostgresUrl(url, variable);
  const result = await migrate({ url });
  const total = result.applied.length + result.alreadyApplied.length;
  console.log(
    result.applied.length === 0
      ? `No pending migrations (${total} already applied).`
      : `${result.applied.length} migration(s) applied, ${result.alreadyApplied.length} already applied.`,
  );
} catch (error) {
  console.error(`migrate: ${(error as Error).message}`);
  process.exitCode = 1;
}
