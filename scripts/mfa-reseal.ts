/**
 * Re-seals every TOTP seed under the newest key of MFA_ENCRYPTION_KEY, so the older keys can be retired
 * (docs/operations.md). Seeds are also re-sealed one by one as they are used; this does the rest at once.
 * Reads the same env files as the app. Prints counts only, never a seed. Exits 1, naming how many, when some
 * seed is under no key of the ring (a key retired too early): those are left as they are.
 *   npx tsx scripts/mfa-reseal.ts
 */
import nextEnv from '@next/env';
import { getConfig } from '../lib/config/env';
import { createPrismaClient } from '../lib/db/client';
import { SecretBox, SecretBoxError } from '../lib/mfa/secret-box';

nextEnv.loadEnvConfig(process.cwd());
const config = getConfig();
const db = await createPrismaClient(process.env.DATABASE_DIRECT_URL || config.DATABASE_URL);
const box = new SecretBox(config.MFA_ENCRYPTION_KEY);
let resealed = 0;
let current = 0;
let unreadable = 0;
for (const row of await db.totpFactor.findMany({ select: { userId: true, secret: true } })) {
  if (!(await box.isStale(row.secret))) {
    current++;
    continue;
  }
  let plain: string;
  try {
    plain = await box.open(row.secret, row.userId);
  } catch (error) {
    if (!(error instanceof SecretBoxError)) throw error;
    unreadable++;
    continue;
  }
  // Conditional on the old value: a use that re-sealed it meanwhile wins.
  const { count } = await db.totpFactor.updateMany({
    where: { userId: row.userId, secret: row.secret },
    data: { secret: await box.seal(plain, row.userId) },
  });
  resealed += count;
}
console.log(`re-sealed ${resealed} TOTP seed(s); ${current} already under the newest key`);
if (unreadable > 0) {
  console.error(
    `${unreadable} TOTP seed(s) are sealed under no key of MFA_ENCRYPTION_KEY and were left as they are: ` +
      'add the retired key back at the end of the list and run this again',
  );
  process.exitCode = 1;
}
await db.$disconnect();
