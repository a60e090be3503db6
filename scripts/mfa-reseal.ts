/**
 * Re-seals every TOTP seed under the newest key of MFA_ENCRYPTION_KEY, so the older keys can be retired
 * (docs/operations.md). Seeds are also re-sealed one by one as they are used; this does the rest at once.
 * Reads the same env files as the app. Prints counts only, never a seed.
 *   npx tsx scripts/mfa-reseal.ts
 */
import nextEnv from '@next/env';
import { getConfig } from '../lib/config/env';
import { createPrismaClient } from '../lib/db/client';
import { SecretBox } from '../lib/mfa/secret-box';

nextEnv.loadEnvConfig(process.cwd());
const config = getConfig();
const db = await createPrismaClient(process.env.DATABASE_DIRECT_URL || config.DATABASE_URL);
const box = new SecretBox(config.MFA_ENCRYPTION_KEY);
let resealed = 0;
let current = 0;
for (const row of await db.totpFactor.findMany({ select: { userId: true, secret: true } })) {
  if (!(await box.isStale(row.secret))) {
    current++;
    continue;
  }
  const sealed = await box.seal(await box.open(row.secret, row.userId), row.userId);
  // Conditional on the old value: a use that re-sealed it meanwhile wins.
  const { count } = await db.totpFactor.updateMany({
    where: { userId: row.userId, secret: row.secret },
    data: { secret: sealed },
  });
  resealed += count;
}
console.log(`re-sealed ${resealed} TOTP seed(s); ${current} already under the newest key`);
await db.$disconnect();
