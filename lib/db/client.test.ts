/** @module lib/db/client.test — integration tests against real PostgreSQL: migrations, CRUD, unique constraints, cascade. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { migrate, readMigrations } from './migrator';
import { createPrismaClient, isAccelerateUrl, type AppPrismaClient } from './client';
import { isUniqueViolation } from './errors';
import { Prisma } from './generated/node/client';

// Server-level URL (same server as TEST_DATABASE_URL); each run creates and drops its own throwaway databases.
const ADMIN_URL = process.env.TEST_DATABASE_ADMIN_URL ?? serverUrl(process.env.TEST_DATABASE_URL);

function serverUrl(databaseUrl = 'postgresql://postgres@127.0.0.1:5432/postgres'): string {
  const url = new URL(databaseUrl);
  url.pathname = '/postgres';
  return url.toString();
}

function databaseUrl(name: string): string {
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

async function dropDatabase(name: string): Promise<void> {
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

const suffix = randomBytes(4).toString('hex');
const dbName = `authtest_${suffix}`;
const racedDbName = `authtest_${suffix}_race`;
const url = databaseUrl(dbName);
const quiet = () => {};
let db: AppPrismaClient;
/** Every migration in prisma/migrations, in the order they apply: the list grows with the schema. */
let all: string[];

describe('lib/db client on real PostgreSQL', () => {
  before(async () => {
    all = (await readMigrations()).map((m) => m.name);
    assert.equal(all[0], '20261127000000_init');
    const result = await migrate({ url, log: quiet });
    assert.equal(result.createdDatabase, true);
    assert.deepEqual(result.applied, all);
    db = await createPrismaClient(url);
  });

  after(async () => {
    await db?.$disconnect();
    await dropDatabase(dbName);
    await dropDatabase(racedDbName);
  });

  test('migrating again applies nothing', async () => {
    const again = await migrate({ url, log: quiet });
    assert.deepEqual(again.applied, []);
    assert.deepEqual(again.alreadyApplied, all);
  });

  test('two concurrent runs on a fresh database apply each migration once', async () => {
    const racedUrl = databaseUrl(racedDbName);
    const [a, b] = await Promise.all([migrate({ url: racedUrl, log: quiet }), migrate({ url: racedUrl, log: quiet })]);
    assert.deepEqual([...a.applied, ...b.applied].sort(), all);
    const check = new pg.Client({ connectionString: racedUrl });
    await check.connect();
    const { rows } = await check.query('SELECT count(*)::int AS n FROM "_prisma_migrations"');
    await check.end();
    assert.equal(rows[0].n, all.length);
  });

  test('creates and reads a user with an OAuth account', async () => {
    const user = await db.user.create({
      data: {
        email: 'ada@example.com',
        name: 'Ada',
        accounts: { create: { type: 'oidc', provider: 'google', providerAccountId: 'g-1', idToken: 'x'.repeat(4000) } },
      },
      include: { accounts: true },
    });
    assert.match(user.id, /^c[a-z0-9]{20,}$/); // cuid generated client-side
    assert.equal(user.passwordHash, null);
    assert.equal(user.accounts.length, 1);
    assert.equal(user.accounts[0]?.idToken?.length, 4000);

    const byEmail = await db.user.findUnique({ where: { email: 'ada@example.com' } });
    assert.equal(byEmail?.id, user.id);
    const account = await db.account.findUnique({
      where: { provider_providerAccountId: { provider: 'google', providerAccountId: 'g-1' } },
      include: { user: true },
    });
    assert.equal(account?.user.email, 'ada@example.com');
  });

  test('update bumps updatedAt; upsert and interactive transactions work', async () => {
    const before = await db.user.findUniqueOrThrow({ where: { email: 'ada@example.com' } });
    const updated = await db.user.update({ where: { id: before.id }, data: { emailVerified: new Date() } });
    assert.ok(updated.updatedAt > before.updatedAt);

    const upserted = await db.user.upsert({
      where: { email: 'grace@example.com' },
      create: { email: 'grace@example.com', passwordHash: 'argon2id$…' },
      update: {},
    });
    assert.equal(upserted.passwordHash, 'argon2id$…');

    const linked = await db.$transaction(async (tx) => {
      const u = await tx.user.findFirstOrThrow({ where: { email: 'grace@example.com' } });
      return tx.account.create({
        data: { userId: u.id, type: 'oauth', provider: 'github', providerAccountId: 'gh-9', expiresAt: 1_900_000_000 },
      });
    });
    assert.equal(linked.expiresAt, 1_900_000_000);
  });

  test('duplicate email raises P2002', async () => {
    const error = await db.user.create({ data: { email: 'ada@example.com' } }).catch((e: unknown) => e);
    assert.ok(error instanceof Prisma.PrismaClientKnownRequestError);
    assert.equal(error.code, 'P2002');
    assert.ok(isUniqueViolation(error));
  });

  test('duplicate (provider, providerAccountId) raises P2002', async () => {
    const other = await db.user.create({ data: { email: 'linus@example.com' } });
    const error = await db.account
      .create({ data: { userId: other.id, type: 'oidc', provider: 'google', providerAccountId: 'g-1' } })
      .catch((e: unknown) => e);
    assert.ok(isUniqueViolation(error));
  });

  test('a failed transaction rolls back', async () => {
    await assert.rejects(
      db.$transaction(async (tx) => {
        await tx.user.create({ data: { email: 'temp@example.com' } });
        await tx.user.create({ data: { email: 'temp@example.com' } });
      }),
      (e: unknown) => isUniqueViolation(e),
    );
    assert.equal(await db.user.findUnique({ where: { email: 'temp@example.com' } }), null);
  });

  test('deleting a user cascades to its accounts', async () => {
    const user = await db.user.findUniqueOrThrow({ where: { email: 'ada@example.com' } });
    await db.user.delete({ where: { id: user.id } });
    assert.equal(await db.account.count({ where: { userId: user.id } }), 0);
    assert.equal(await db.account.count({ where: { provider: 'github' } }), 1); // other users untouched
  });

  test('isAccelerateUrl tells the two URL families apart', () => {
    assert.equal(isAccelerateUrl('prisma://accelerate.prisma-data.net/?api_key=k'), true);
    assert.equal(isAccelerateUrl('prisma+postgres://localhost:51213/?api_key=k'), true);
    assert.equal(isAccelerateUrl('postgresql://postgres@127.0.0.1:5432/authdev'), false);
    assert.equal(isAccelerateUrl('postgres://u:p@db:5432/x'), false);
  });
});
