/** @module prisma.config — Prisma 7 CLI configuration (schema, migrations, CLI datasource). */
import { defineConfig } from 'prisma/config';

// The CLI (migrate, studio, db pull) needs a direct TCP URL, never a prisma:// one;
// `prisma generate` needs no URL at all, so a missing variable is not an error here.
const url = process.env.DATABASE_DIRECT_URL ?? process.env.DATABASE_URL;

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  ...(url ? { datasource: { url } } : {}),
});
