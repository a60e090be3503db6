/** @module Where second factors live: the TOTP factor and recovery codes (Prisma), behind one small interface. */
import type { AppPrismaClient } from '../db/client';

/** A user's TOTP factor; `secret` is sealed (lib/mfa/secret-box.ts). */
export interface TotpFactorRecord {
  secret: string;
  confirmedAt: Date | null;
  lastStep: number | null;
}

/** Storage of TOTP factors and recovery codes. */
export interface MfaStore {
  totp(userId: string): Promise<TotpFactorRecord | null>;
  /** Stores a pending (unconfirmed) secret, replacing a pending one; false when a confirmed factor exists. */
  putPendingTotp(userId: string, sealed: string): Promise<boolean>;
  /** Confirms the pending factor at `step` and replaces the recovery codes; false when nothing was pending. */
  confirmTotp(userId: string, step: number, codeHashes: string[]): Promise<boolean>;
  /** Records `step` as used if it is later than the last used one; false for a replay (or no confirmed factor). */
  acceptStep(userId: string, step: number): Promise<boolean>;
  /** Replaces the sealed secret if it is still `old` (a key rotation re-seals it under the newest key). */
  resealTotp(userId: string, old: string, sealed: string): Promise<void>;
  /** Removes the factor and the recovery codes; false when there was no factor. */
  removeTotp(userId: string): Promise<boolean>;
  /** Replaces every recovery code. */
  replaceRecoveryCodes(userId: string, codeHashes: string[]): Promise<void>;
  /** Marks an unused code used; false when it is unknown or already used. */
  useRecoveryCode(userId: string, codeHash: string): Promise<boolean>;
  /** Unused recovery codes. */
  recoveryCodesLeft(userId: string): Promise<number>;
}

/** MfaStore on Prisma. */
export class PrismaMfaStore implements MfaStore {
  constructor(private readonly db: AppPrismaClient | Promise<AppPrismaClient>) {}

  async totp(userId: string): Promise<TotpFactorRecord | null> {
    const row = await (await this.db).totpFactor.findUnique({ where: { userId } });
    return row
      ? { secret: row.secret, confirmedAt: row.confirmedAt, lastStep: row.lastStep === null ? null : Number(row.lastStep) }
      : null;
  }

  async putPendingTotp(userId: string, sealed: string): Promise<boolean> {
    const db = await this.db;
    // Conditional on "not confirmed": an enabled factor is never replaced by a new enrolment.
    const { count } = await db.totpFactor.updateMany({
      where: { userId, confirmedAt: null },
      data: { secret: sealed, lastStep: null, createdAt: new Date() },
    });
    if (count === 1) return true;
    const created = await db.totpFactor.createMany({ data: [{ userId, secret: sealed }], skipDuplicates: true });
    return created.count === 1;
  }

  async confirmTotp(userId: string, step: number, codeHashes: string[]): Promise<boolean> {
    const db = await this.db;
    return db.$transaction(async (tx) => {
      const { count } = await tx.totpFactor.updateMany({
        where: { userId, confirmedAt: null },
        data: { confirmedAt: new Date(), lastStep: BigInt(step) },
      });
      if (count !== 1) return false;
      await tx.recoveryCode.deleteMany({ where: { userId } });
      await tx.recoveryCode.createMany({ data: codeHashes.map((codeHash) => ({ userId, codeHash })) });
      return true;
    });
  }

  async acceptStep(userId: string, step: number): Promise<boolean> {
    // One conditional UPDATE: two requests with the same code cannot both pass.
    const { count } = await (
      await this.db
    ).totpFactor.updateMany({
      where: { userId, confirmedAt: { not: null }, OR: [{ lastStep: null }, { lastStep: { lt: BigInt(step) } }] },
      data: { lastStep: BigInt(step) },
    });
    return count === 1;
  }

  async resealTotp(userId: string, old: string, sealed: string): Promise<void> {
    await (await this.db).totpFactor.updateMany({ where: { userId, secret: old }, data: { secret: sealed } });
  }

  async removeTotp(userId: string): Promise<boolean> {
    const db = await this.db;
    const [removed] = await db.$transaction([
      db.totpFactor.deleteMany({ where: { userId } }),
      db.recoveryCode.deleteMany({ where: { userId } }),
    ]);
    return removed.count === 1;
  }

  async replaceRecoveryCodes(userId: string, codeHashes: string[]): Promise<void> {
    const db = await this.db;
    await db.$transaction([
      db.recoveryCode.deleteMany({ where: { userId } }),
      db.recoveryCode.createMany({ data: codeHashes.map((codeHash) => ({ userId, codeHash })) }),
    ]);
  }

  async useRecoveryCode(userId: string, codeHash: string): Promise<boolean> {
    const { count } = await (
      await this.db
    ).recoveryCode.updateMany({
      where: { userId, codeHash, usedAt: null },
      data: { usedAt: new Date() },
    });
    return count === 1;
  }

  async recoveryCodesLeft(userId: string): Promise<number> {
    return (await this.db).recoveryCode.count({ where: { userId, usedAt: null } });
  }
}
