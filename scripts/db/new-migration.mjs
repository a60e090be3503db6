/** @module scripts/db/new-migration — writes prisma/migrations/<timestamp>_<name>/migration.sql from a schema diff computed by Prisma's own schema engine (Wasm build), without the native engine or network. */
// Usage: node --experimental-wasm-modules scripts/db/new-migration.mjs <name> [--from <old schema file> | --from-empty]
//   The default "from" is prisma/schema.prisma as committed at git HEAD: commit each schema change
//   together with its migration and the two stay in step. Review the SQL before committing it.
// Env: DIFF_DATABASE_URL — any reachable PostgreSQL (the engine only probes it); default the local one.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PrismaPg } from '@prisma/adapter-pg';
import { bindMigrationAwareSqlAdapterFactory } from '@prisma/driver-adapter-utils';
import { SchemaEngine } from '@prisma/schema-engine-wasm';

const root = fileURLToPath(new URL('../..', import.meta.url));
const schemaPath = path.join(root, 'prisma/schema.prisma');
const migrationsDir = path.join(root, 'prisma/migrations');

const [name, flag, fromFile] = process.argv.slice(2);
if (!name || !/^[a-z0-9_]+$/.test(name)) {
  console.error('usage: new-migration.mjs <snake_case_name> [--from <schema file> | --from-empty]');
  process.exit(2);
}

const to = readFileSync(schemaPath, 'utf8');
let from;
if (flag === '--from-empty') from = null;
else if (flag === '--from' && fromFile) from = readFileSync(fromFile, 'utf8');
else from = execFileSync('git', ['show', 'HEAD:prisma/schema.prisma'], { cwd: root, encoding: 'utf8' });

const adapter = new PrismaPg({
  connectionString: process.env.DIFF_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres',
});
const engine = await SchemaEngine.new(
  { datamodels: [['schema.prisma', to]] },
  () => {},
  bindMigrationAwareSqlAdapterFactory(adapter), // the Wasm engine calls the factory unbound
);
const datamodel = (content) => ({ tag: 'schemaDatamodel', files: [{ path: 'schema.prisma', content }] });
const { stdout } = await engine.diff({
  from: from === null ? { tag: 'empty' } : datamodel(from),
  to: datamodel(to),
  script: true,
  exitCode: null,
  filters: { externalTables: [], externalEnums: [] },
});

// From "empty" the engine also emits CREATE SCHEMA "public", which `migrate dev` never writes
// and which needs CREATE rights on the database: drop it.
const sql = (stdout ?? '').replace(/-- CreateSchema\nCREATE SCHEMA IF NOT EXISTS "public";\n*/, '').trim();
if (sql === '' || sql === '-- This is an empty migration.') {
  console.log('no schema changes: nothing written');
  process.exit(0);
}

const stamp = new Date().toISOString().replace(/\D/g, '').slice(0, 14);
const dir = path.join(migrationsDir, `${stamp}_${name}`);
if (existsSync(dir) || readdirSync(migrationsDir).some((d) => d.endsWith(`_${name}`))) {
  console.error(`a migration named ${name} already exists`);
  process.exit(1);
}
mkdirSync(dir, { recursive: true });
writeFileSync(path.join(dir, 'migration.sql'), `${sql}\n`);
console.log(`wrote ${path.relative(root, dir)}/migration.sql:\n\n${sql}`);
process.exit(0); // the engine keeps a pool open
