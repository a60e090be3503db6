/** @module scripts/db/smoke — `tsx scripts/db/smoke.ts [url]`: proves a DATABASE_URL works through lib/db/client (create, read, transaction, delete) and measures per-query latency. */
import { randomUUID } from 'node:crypto';
import { createPrismaClient, isAccelerateUrl } from '../../lib/db/client';

const url = process.argv[2] ?? process.env.DATABASE_URL;
const samples = Number(process.env.SMOKE_SAMPLES ?? 200);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? Number.NaN;
}

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const start = performance.now();
  const value = await fn();
  return [value, performance.now() - start];
}

async function main(): Promise<void> {
  if (!url) throw new Error('pass a URL or set DATABASE_URL');
  const db = await createPrismaClient(url);
  const email = `smoke-${randomUUID()}@example.test`;
  try {
    const [user, firstMs] = await timed(() =>
      db.user.create({
        data: { email, accounts: { create: { type: 'oidc', provider: 'smoke', providerAccountId: email } } },
      }),
    );
    const found = await db.user.findUnique({ where: { email } });
    if (found?.id !== user.id) throw new Error('created user not found');
    await db.$transaction(async (tx) => {
      await tx.user.update({ where: { id: user.id }, data: { name: 'Smoke' } });
    });

    const times: number[] = [];
    for (let i = 0; i < samples; i++) {
      const [, ms] = await timed(() => db.user.findUnique({ where: { email } }));
      times.push(ms);
    }
    times.sort((a, b) => a - b);
    await db.user.delete({ where: { id: user.id } }); // cascades to the account
    const kind = isAccelerateUrl(url) ? 'accelerate (HTTP)' : 'pg adapter (TCP)';
    console.log(
      `ok ${kind}: first query (incl. connect) ${firstMs.toFixed(1)} ms; findUnique x${samples}: ` +
        `median ${percentile(times, 0.5).toFixed(2)} ms, p95 ${percentile(times, 0.95).toFixed(2)} ms`,
    );
  } finally {
    await db.$disconnect();
  }
}

main().catch((error: unknown) => {
  console.error('smoke failed:', error);
  process.exitCode = 1;
});
