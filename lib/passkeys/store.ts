/** @module Where passkeys (WebAuthn credentials) live: Prisma, behind one small interface. */
import type { AppPrismaClient } from '../db/client';

/** A stored passkey. */
export interface PasskeyRecord {
  id: string;
  userId: string;
  /** base64url, as the authenticator reports it. */
  credentialId: string;
  publicKey: Uint8Array;
  counter: number;
  transports: string[];
  name: string;
  deviceType: string;
  backedUp: boolean;
  createdAt: Date;
  lastUsedAt: Date | null;
}

/** Storage of passkeys. */
export interface PasskeyStore {
  list(userId: string): Promise<PasskeyRecord[]>;
  count(userId: string): Promise<number>;
  byCredentialId(credentialId: string): Promise<PasskeyRecord | null>;
  /** Adds a passkey; false when the credential is already registered (to anyone). */
  add(passkey: Omit<PasskeyRecord, 'id' | 'createdAt' | 'lastUsedAt'>): Promise<PasskeyRecord | null>;
  /** Renames one of the user's passkeys; false when it is not theirs. */
  rename(userId: string, id: string, name: string): Promise<boolean>;
  /** Removes one of the user's passkeys; its record, or null when it is not theirs. */
  remove(userId: string, id: string): Promise<PasskeyRecord | null>;
  /**
   * Records a use: the new counter, if the stored one is still `expected` (a concurrent use of the same
   * assertion cannot pass twice), and the time. False when another use came first.
   */
  recordUse(id: string, expected: number, counter: number, backedUp: boolean): Promise<boolean>;
}

type Row = Omit<PasskeyRecord, 'counter' | 'publicKey'> & { counter: bigint; publicKey: Uint8Array };
const record = (row: Row): PasskeyRecord => ({ ...row, counter: Number(row.counter), publicKey: new Uint8Array(row.publicKey) });

/** PasskeyStore on Prisma. */
export class PrismaPasskeyStore implements PasskeyStore {
  constructor(private readonly db: AppPrismaClient | Promise<AppPrismaClient>) {}

  async list(userId: string): Promise<PasskeyRecord[]> {
    const rows = await (await this.db).passkey.findMany({ where: { userId }, orderBy: { createdAt: 'asc' } });
    return rows.map(record);
  }

  async count(userId: string): Promise<number> {
    return (await this.db).passkey.count({ where: { userId } });
  }

  async byCredentialId(credentialId: string): Promise<PasskeyRecord | null> {
    const row = await (await this.db).passkey.findUnique({ where: { credentialId } });
    return row ? record(row) : null;
  }

  async add(passkey: Omit<PasskeyRecord, 'id' | 'createdAt' | 'lastUsedAt'>): Promise<PasskeyRecord | null> {
    const db = await this.db;
    const created = await db.passkey.createMany({
      data: [{ ...passkey, counter: BigInt(passkey.counter), publicKey: new Uint8Array(passkey.publicKey) }],
      skipDuplicates: true,
    });
    return created.count === 1 ? this.byCredentialId(passkey.credentialId) : null;
  }

  async rename(userId: string, id: string, name: string): Promise<boolean> {
    const { count } = await (await this.db).passkey.updateMany({ where: { id, userId }, data: { name } });
    return count === 1;
  }

  async remove(userId: string, id: string): Promise<PasskeyRecord | null> {
    const db = await this.db;
    const row = await db.passkey.findFirst({ where: { id, userId } });
    if (!row) return null;
    const { count } = await db.passkey.deleteMany({ where: { id, userId } });
    return count === 1 ? record(row) : null;
  }

  async recordUse(id: string, expected: number, counter: number, backedUp: boolean): Promise<boolean> {
    const { count } = await (
      await this.db
    ).passkey.updateMany({
      where: { id, counter: BigInt(expected) },
      data: { counter: BigInt(counter), backedUp, lastUsedAt: new Date() },
    });
    return count === 1;
  }
}
