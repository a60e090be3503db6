/** @module The user store on Prisma (PostgreSQL directly, or Accelerate on the edge). */
import { AuthError } from '../auth/errors';
import type { AppPrismaClient } from '../db/client';
import { isUniqueViolation } from '../db/errors';
import type { LinkedAccount, OAuthAccountInput, UserRecord, UserRepository } from './repository';

/** UserRepository backed by a Prisma client. */
export class PrismaUserRepository implements UserRepository {
  constructor(private readonly db: AppPrismaClient | Promise<AppPrismaClient>) {}

  async findByEmail(email: string): Promise<UserRecord | null> {
    return (await this.db).user.findUnique({ where: { email } });
  }

  async findById(id: string): Promise<UserRecord | null> {
    return (await this.db).user.findUnique({ where: { id } });
  }

  async create(input: Parameters<UserRepository['create']>[0]): Promise<UserRecord> {
    try {
      return await (await this.db).user.create({ data: input });
    } catch (error) {
      if (isUniqueViolation(error)) throw new AuthError('email_taken', 'An account with this email already exists.');
      throw error;
    }
  }

  async updatePasswordHash(id: string, passwordHash: string): Promise<void> {
    await (await this.db).user.update({ where: { id }, data: { passwordHash } });
  }

  async findByAccount(provider: string, providerAccountId: string): Promise<UserRecord | null> {
    const account = await (
      await this.db
    ).account.findUnique({
      where: { provider_providerAccountId: { provider, providerAccountId } },
      include: { user: true },
    });
    return account?.user ?? null;
  }

  async upsertAccount(userId: string, account: OAuthAccountInput): Promise<void> {
    const { provider, providerAccountId, ...tokens } = account;
    await (
      await this.db
    ).account.upsert({
      where: { provider_providerAccountId: { provider, providerAccountId } },
      create: { userId, provider, providerAccountId, ...tokens },
      update: tokens,
    });
  }

  async ping(): Promise<void> {
    await (await this.db).user.findFirst({ select: { id: true } });
  }

  async changeEmail(id: string, email: string, verifiedAt: Date): Promise<boolean> {
    try {
      const { count } = await (
        await this.db
      ).user.updateMany({ where: { id }, data: { email, emailVerified: verifiedAt, unverifiedEmail: null } });
      return count > 0;
    } catch (error) {
      // The unique index decides: a check before the update would race with a sign-up of the same address.
      if (isUniqueViolation(error)) throw new AuthError('email_taken', 'An account with this email already exists.');
      throw error;
    }
  }

  async markEmailVerified(id: string, at: Date): Promise<void> {
    await (await this.db).user.update({ where: { id }, data: { emailVerified: at } });
  }

  async claimUnverified(id: string, owner: { name: string | null; image: string | null; verifiedAt: Date }): Promise<boolean> {
    const db = await this.db;
    // Conditional on the email still being unverified, so a verification that raced this one wins.
    const { count } = await db.user.updateMany({
      where: { id, emailVerified: null },
      data: {
        passwordHash: null,
        name: owner.name,
        image: owner.image,
        emailVerified: owner.verifiedAt,
        unverifiedEmail: null,
      },
    });
    if (count === 0) return false;
    await db.account.deleteMany({ where: { userId: id } });
    return true;
  }

  async setBlocked(id: string, at: Date | null): Promise<boolean> {
    const { count } = await (await this.db).user.updateMany({ where: { id }, data: { blockedAt: at } });
    return count > 0;
  }

  async linkedAccounts(userId: string): Promise<LinkedAccount[]> {
    return (await this.db).account.findMany({
      where: { userId },
      select: { provider: true, createdAt: true },
      orderBy: { createdAt: 'asc' },
    });
  }

  async delete(id: string): Promise<void> {
    // Linked OAuth accounts go with it (onDelete: Cascade). Deleting twice is not an error.
    await (await this.db).user.deleteMany({ where: { id } });
  }
}
