/** @module The user store interface the domain depends on; lib/users/prisma-repository.ts implements it. */

/** A user as the domain sees it. `passwordHash` never leaves lib/. */
export interface UserRecord {
  id: string;
  email: string;
  name: string | null;
  image: string | null;
  passwordHash: string | null;
  emailVerified: Date | null;
  /** An address a provider reported without vouching for it (contact data only); `email` is then a stand-in. */
  unverifiedEmail: string | null;
  /** Set while support has blocked the account (no sign-in); null otherwise. */
  blockedAt: Date | null;
  createdAt: Date;
}

/** A linked OAuth account as support sees it: which provider, since when; never its tokens. */
export interface LinkedAccount {
  provider: string;
  createdAt: Date;
}

/** The public view of a user, safe for API responses and sessions. */
export interface PublicUser {
  id: string;
  email: string;
  name: string | null;
  image: string | null;
}

/** Provider tokens and identity of an OAuth sign-in. */
export interface OAuthAccountInput {
  provider: string;
  providerAccountId: string;
  type: string;
  accessToken?: string | null;
  refreshToken?: string | null;
  idToken?: string | null;
  expiresAt?: number | null;
  tokenType?: string | null;
  scope?: string | null;
}

/** Storage of users and their linked OAuth accounts. */
export interface UserRepository {
  findByEmail(email: string): Promise<UserRecord | null>;
  findById(id: string): Promise<UserRecord | null>;
  /** Creates a user; throws AuthError `email_taken` when the email exists. */
  create(input: {
    email: string;
    name?: string | null;
    passwordHash?: string | null;
    emailVerified?: Date | null;
    image?: string | null;
    unverifiedEmail?: string | null;
  }): Promise<UserRecord>;
  updatePasswordHash(id: string, passwordHash: string): Promise<void>;
  /** The user an OAuth account is linked to, if any. */
  findByAccount(provider: string, providerAccountId: string): Promise<UserRecord | null>;
  /** Links (or refreshes the tokens of) an OAuth account for a user. */
  upsertAccount(userId: string, account: OAuthAccountInput): Promise<void>;
  /**
   * Gives a user a new, verified email (its owner used a link mailed to it) and drops any unverified contact
   * address; false when there is no such user; throws AuthError `email_taken` when another account has it.
   */
  changeEmail(id: string, email: string, verifiedAt: Date): Promise<boolean>;
  /** Marks a user's email as verified (a provider asserted it, or the owner used a link mailed to it). */
  markEmailVerified(id: string, at: Date): Promise<void>;
  /**
   * Hands an account whose email was never verified to the verified owner of that email: drops its password,
   * linked OAuth accounts and unverified contact address, takes the owner's name and image and marks the email
   * verified. False, and nothing changed, when the email was verified meanwhile.
   */
  claimUnverified(id: string, owner: { name: string | null; image: string | null; verifiedAt: Date }): Promise<boolean>;
  /** Blocks (`at`) or unblocks (null) a user; false when there is no such user. */
  setBlocked(id: string, at: Date | null): Promise<boolean>;
  /** The OAuth accounts linked to a user, oldest first. */
  linkedAccounts(userId: string): Promise<LinkedAccount[]>;
  /** Deletes a user and their linked OAuth accounts; a missing user is not an error. */
  delete(id: string): Promise<void>;
  /** A cheap round trip to the store, for health checks. */
  ping(): Promise<void>;
}

/** Strips secrets from a user record. */
export function toPublicUser(user: UserRecord): PublicUser {
  return { id: user.id, email: user.email, name: user.name, image: user.image };
}
