/**
 * @module The auth use cases (sign-up, sign-in, OAuth sign-in, refresh, sign-out, password change, email
 * change, account deletion), composed from the user store, password hashing, the rotation engine and
 * access-token signing. Knows no HTTP.
 */
import type { EmailVerificationMode } from '../config/env';
import { hashPassword, needsRehash, verifyPassword } from '../passwords/hash';
import { eventSource, type RequestContext } from '../tokens/rotation';
import type { EmailChanges } from './email-change';
import type { EmailVerifications } from './email-verification';
import { parseNewEmail } from './input';
import { assertChanged, assertNewPassword } from './password-policy';
import { replacePassword } from './password-replacement';
import type { SessionDirectory } from '../tokens/sessions';
import { normalizeEmail } from '../users/email';
import { isStandInEmail, standInEmail } from '../users/stand-in-email';
import { toPublicUser, type OAuthAccountInput, type PublicUser, type UserRecord, type UserRepository } from '../users/repository';
import { logEvent } from '../observability/log';
import { inBackground, type Defer } from '../runtime/deferred';
import { recordSignIn, recordSignUp } from '../observability/telemetry';
import type { RateLimits } from '../rate-limit/limits';
import { AuthError, isDependencyError, isRefusedToken } from './errors';
import { refreshSession, type SessionTokens, type TokenIssuer } from './session-tokens';
import { accountBlocked, startSession } from './start-session';

export type { SessionTokens } from './session-tokens';

/** A verified identity asserted by an OAuth/OIDC provider. */
export interface OAuthIdentity {
  provider: string;
  providerAccountId: string;
  email: string;
  emailVerified: boolean;
  name?: string | null;
  image?: string | null;
  account: Omit<OAuthAccountInput, 'provider' | 'providerAccountId'>;
}

/** Dependencies of the service. */
export interface AuthServiceDeps extends TokenIssuer {
  users: UserRepository;
  sessions: SessionDirectory;
  passwordIterations: number;
  limits: RateLimits;
  /** EMAIL_VERIFICATION; anything but "off" needs `verifications`. */
  emailVerification: EmailVerificationMode;
  /** Null when EMAIL_VERIFICATION is "off". */
  verifications: EmailVerifications | null;
  /** Null (or absent) when MAIL_TRANSPORT is "none": the address cannot be changed without mailing it a link. */
  emailChanges?: EmailChanges | null;
  /** Second factors (lib/mfa): the half-signed-in step after a first factor, and step-up before sensitive changes. */
  secondFactor?: {
    challenge(user: UserRecord, provider: string): Promise<void>;
    requireStepUp(caller: { userId: string; sessionId: string }): Promise<void>;
  };
}

/**
 * How a sign-up ended: with verification off, the new user; with it on, only "check your email", whether
 * the address was new or already had an account (whose owner is told by email), so it reveals neither.
 */
export type SignUpResult = { status: 'created'; user: PublicUser } | { status: 'check_email' };

/** An account without a password can be deleted, or change its email, only from a session signed in this recently. */
export const REAUTHENTICATION_WINDOW_MS = 10 * 60_000;

/** The auth use cases. */
export class AuthService {
  private dummyHash: Promise<string> | undefined;

  constructor(private readonly deps: AuthServiceDeps) {}

  /**
   * Registers a password user. Verification off: the user, or `email_taken` if the address is in use.
   * On: `check_email` at once, for a new address and a used one alike, after the same work (the limit and
   * the hash); the insert and what follows it (a new account's link, or a notice to the existing one's owner)
   * are handed to `defer`. Even the insert tells: a new row is committed and flushed, a refused one is not.
   */
  signUp(
    input: { email: string; password: string; name?: string | undefined },
    context: RequestContext = {},
    defer: Defer = inBackground,
  ): Promise<SignUpResult> {
    return metered(recordSignUp, 'credentials', () => this.signUpUnmetered(input, context, defer));
  }

  private async signUpUnmetered(
    input: { email: string; password: string; name?: string | undefined },
    context: RequestContext,
    defer: Defer,
  ): Promise<SignUpResult> {
    const { users, verifications } = this.deps;
    await this.deps.limits.signUp(context.ip);
    const email = normalizeEmail(input.email);
    assertNewPassword(input.password, { email, name: input.name });
    // Hashed before answering in both cases: it costs the caller the same, and bounds the work left behind.
    const passwordHash = await hashPassword(input.password, this.deps.passwordIterations);
    const create = () => users.create({ email, name: input.name?.trim() || null, passwordHash });
    if (this.deps.emailVerification === 'off' || !verifications) {
      const user = await create();
      logEvent('info', 'auth.signup', { userId: user.id });
      return { status: 'created', user: toPublicUser(user) };
    }
    defer(async () => {
      let user: UserRecord;
      try {
        user = await create();
      } catch (error) {
        if (!(error instanceof AuthError && error.code === 'email_taken')) throw error;
        const existing = await users.findByEmail(email);
        // Deleted meanwhile: nobody to tell.
        if (existing) await verifications.afterSignUp(existing, false, context);
        return;
      }
      logEvent('info', 'auth.signup', { userId: user.id });
      await verifications.afterSignUp(user, true, context);
    });
    return { status: 'check_email' };
  }

  /** Checks a password and starts a session; the same `invalid_credentials` for unknown email and wrong password. */
  signIn(input: { email: string; password: string }, context: RequestContext = {}): Promise<SessionTokens> {
    return metered(recordSignIn, 'credentials', () => this.signInUnmetered(input, context));
  }

  private async signInUnmetered(input: { email: string; password: string }, context: RequestContext): Promise<SessionTokens> {
    const email = normalizeEmail(input.email);
    await this.deps.limits.signIn(email, context.ip);
    const user = await this.deps.users.findByEmail(email);
    // Verify against a dummy hash when there is no user, so timing does not reveal which emails exist.
    const stored = user?.passwordHash ?? (await this.getDummyHash());
    const valid = await verifyPassword(input.password, stored);
    if (!user?.passwordHash || !valid) {
      await this.deps.limits.signInFailed(email, context.ip);
      logEvent('info', 'auth.signin_failed', { reason: 'invalid_credentials', knownUser: Boolean(user), ip: context.ip });
      throw new AuthError('invalid_credentials', 'Email or password is incorrect.');
    }
    if (user.blockedAt) {
      logEvent('info', 'auth.signin_failed', { reason: 'account_blocked', userId: user.id, ip: context.ip });
      throw accountBlocked();
    }
    if (this.deps.emailVerification === 'required' && !user.emailVerified) {
      logEvent('info', 'auth.signin_failed', { reason: 'email_not_verified', userId: user.id, ip: context.ip });
      throw new AuthError(
        'email_not_verified',
        'Confirm your email address first, with the link we sent you (or ask for a new one).',
      );
    }
    if (needsRehash(user.passwordHash, this.deps.passwordIterations)) {
      await this.deps.users.updatePasswordHash(user.id, await hashPassword(input.password, this.deps.passwordIterations));
    }
    // With TOTP on, the right password earns a half-signed-in state (MfaRequiredError), not a session.
    await this.deps.secondFactor?.challenge(user, 'credentials');
    return this.startSession(user, 'credentials', context);
  }

  /**
   * Signs in with a provider's identity: finds, links or creates the user, then starts a session. A new
   * provider account links into the existing user with its email only when both emails are verified. If
   * the provider verified it and the user's is unverified (perhaps registered by someone else to hijack the
   * owner's account later), the verified owner wins: see claimUnverified. An unverified one never links, and a
   * new user made from it gets a stand-in address instead (createForIdentity).
   * `caller` is the IP of the server that called (for its rate limit), `context` the person's browser.
   */
  signInWithOAuth(
    identity: OAuthIdentity,
    context: RequestContext = {},
    caller: string | undefined = context.ip,
  ): Promise<SessionTokens> {
    return metered(recordSignIn, identity.provider, () => this.signInWithOAuthUnmetered(identity, context, caller));
  }

  private async signInWithOAuthUnmetered(
    identity: OAuthIdentity,
    context: RequestContext,
    caller: string | undefined,
  ): Promise<SessionTokens> {
    const { users } = this.deps;
    await this.deps.limits.oauth(caller);
    const account = { ...identity.account, provider: identity.provider, providerAccountId: identity.providerAccountId };
    let user = await users.findByAccount(identity.provider, identity.providerAccountId);
    if (!user) {
      const email = normalizeEmail(identity.email);
      const existing = await users.findByEmail(email);
      if (existing && !identity.emailVerified) {
        throw new AuthError(
          'account_not_linkable',
          `An account with this email already exists, and ${identity.provider} does not confirm the email is verified. Sign in with your password instead.`,
        );
      }
      if (existing && !existing.emailVerified) user = await this.claimUnverified(existing, identity, context);
      user ??= existing ?? (await this.createForIdentity(identity, email));
    }
    if (user.blockedAt) {
      logEvent('info', 'auth.signin_failed', { reason: 'account_blocked', userId: user.id, provider: identity.provider });
      throw accountBlocked();
    }
    await users.upsertAccount(user.id, account);
    await this.deps.secondFactor?.challenge(user, identity.provider);
    return this.startSession(user, identity.provider, context);
  }

  /**
   * A new user for a provider account. Only an address the provider vouches for becomes the account's email;
   * an unvouched one would occupy the address (the real owner could then neither sign up nor reset), so the
   * account gets a stand-in and keeps the reported address as unverified contact data.
   */
  private async createForIdentity(identity: OAuthIdentity, email: string): Promise<UserRecord> {
    const vouched = identity.emailVerified && !isStandInEmail(email);
    return this.deps.users.create({
      email: vouched ? email : await standInEmail(identity.provider, identity.providerAccountId),
      unverifiedEmail: vouched || isStandInEmail(email) ? null : email,
      name: identity.name ?? null,
      image: identity.image ?? null,
      emailVerified: vouched ? new Date() : null,
    });
  }

  /**
   * The provider-verified owner of an email takes over the account registered with it but never verified:
   * its password and linked accounts go, every session is signed out (before, and again after, for a
   * sign-in with the old password that raced it) and a security event says so. The owner can set a password
   * through password reset. Null when the email got verified meanwhile: the account then links normally
   * (its sessions were signed out all the same, a rare race that costs a sign-in, not an account).
   */
  private async claimUnverified(
    existing: UserRecord,
    identity: OAuthIdentity,
    context: RequestContext,
  ): Promise<UserRecord | null> {
    const { users, sessions } = this.deps;
    let signedOutSessions = await sessions.revokeAll(existing.id);
    const owner = { name: identity.name ?? null, image: identity.image ?? null, verifiedAt: new Date() };
    if (!(await users.claimUnverified(existing.id, owner))) return null;
    signedOutSessions += await sessions.revokeAll(existing.id);
    await this.deps.rotation.recordSecurityEvent({
      type: 'unverified_account_claimed',
      userId: existing.id,
      at: owner.verifiedAt.toISOString(),
      provider: identity.provider,
      signedOutSessions,
      ...eventSource(context),
    });
    logEvent('warn', 'auth.unverified_account_claimed', {
      userId: existing.id,
      provider: identity.provider,
      signedOutSessions,
      ip: context.ip,
    });
    return { ...existing, passwordHash: null, name: owner.name, image: owner.image, emailVerified: owner.verifiedAt };
  }

  /** Rotates a refresh token and issues a new access token. Never touches the database. */
  async refresh(refreshToken: unknown, context: RequestContext = {}): Promise<SessionTokens> {
    this.deps.limits.assertRefreshAllowed(context.ip);
    try {
      const session = await refreshSession(this.deps, refreshToken, context);
      logEvent('info', 'auth.refresh', { userId: session.userId, sessionId: session.sessionId, outcome: session.outcome });
      return session;
    } catch (error) {
      // Only genuine tokens that Redis refused count against the caller's refresh-failure limit. Forged ones
      // die on their HMAC tag for free and are not counted, so a noisy neighbour behind the same NAT cannot
      // get everyone there blocked by sending garbage.
      if (isRefusedToken(error)) {
        // Best effort: the request is refused either way, so an unreachable Redis must not turn it into a 503.
        await this.deps.limits.refreshFailed(context.ip).catch(() => undefined);
      }
      if (error instanceof AuthError) {
        logEvent(
          error.code === 'token_reused' ? 'warn' : 'info',
          error.code === 'token_reused' ? 'auth.token_reuse' : 'auth.refresh_refused',
          {
            code: error.code,
            ip: context.ip,
            userAgent: context.userAgent,
          },
        );
      }
      throw error;
    }
  }

  /**
   * The user's email as stored (the session's copy is from sign-in, and an email change does not update it),
   * whether it is verified, and whether the user has a password (accounts created through a provider have none).
   */
  async credentials(userId: string): Promise<{ email: string | null; hasPassword: boolean; emailVerified: boolean }> {
    const user = await this.deps.users.findById(userId);
    return { email: user?.email ?? null, hasPassword: Boolean(user?.passwordHash), emailVerified: Boolean(user?.emailVerified) };
  }

  /**
   * Changes a password user's password after checking the current one, then signs out every other
   * session (whoever else knew the old password may be signed in) and records a security event.
   * Checks of the current password count as sign-in attempts against the same limits.
   */
  async changePassword(
    input: { userId: string; sessionId: string; currentPassword: string; newPassword: string },
    context: RequestContext = {},
  ): Promise<{ signedOutSessions: number }> {
    await this.deps.secondFactor?.requireStepUp(input);
    const user = await this.existingUser(input.userId);
    if (!user.passwordHash) {
      throw new AuthError('password_not_set', 'This account signs in with a provider and has no password to change.');
    }
    await this.checkPassword(
      user,
      input.currentPassword,
      context,
      'auth.password_change_failed',
      'The current password is incorrect.',
    );
    // After the current password is verified, so these answers tell nothing to someone guessing it.
    assertChanged(input.currentPassword, input.newPassword);
    assertNewPassword(input.newPassword, { email: user.email, name: user.name });
    const signedOutSessions = await replacePassword(this.deps, user.id, input.newPassword, {
      event: 'password_changed',
      keep: input.sessionId,
      context,
    });
    logEvent('info', 'auth.password_changed', { userId: user.id, sessionId: input.sessionId, signedOutSessions });
    return { signedOutSessions };
  }

  /**
   * Asks to change the account's email address. Checked as deleting the account is (a fresh second factor, then
   * the password, or a recent sign-in for an account without one); then limited per user. Nothing that depends
   * on the new address happens before the answer: looking it up and the mails (a link to it, or a notice to its
   * owner if it is taken; a notice to the current address) are handed to `defer` (lib/auth/email-change.ts),
   * so neither the answer nor its timing tells whether the address has an account.
   */
  async requestEmailChange(
    input: { userId: string; sessionId: string; newEmail: string; password?: string | undefined },
    context: RequestContext = {},
    defer: Defer = inBackground,
  ): Promise<void> {
    const email = parseNewEmail(input.newEmail);
    const { emailChanges } = this.deps;
    if (!emailChanges) throw new AuthError('service_unavailable', 'The email address cannot be changed here: email is off.');
    await this.deps.secondFactor?.requireStepUp(input);
    const user = await this.existingUser(input.userId);
    await this.reauthenticate(user, input, context, 'auth.email_change_failed', 'change the email address');
    // After the password is verified, so this answer tells nothing to someone guessing it.
    if (email === user.email) throw new AuthError('email_unchanged', 'This is already your email address.');
    await this.deps.limits.emailChange(user.id);
    logEvent('info', 'auth.email_change_requested', { userId: user.id, sessionId: input.sessionId, ip: context.ip });
    defer(() => emailChanges.afterRequest(user, email, input.sessionId, context));
  }

  /**
   * Deletes an account for good: its sessions (with their device details), security events, linked OAuth
   * accounts and the user. Checked by {@link reauthenticate}, so a stolen access token alone cannot delete anyone.
   */
  async deleteAccount(
    input: { userId: string; sessionId: string; password?: string | undefined },
    context: RequestContext = {},
  ): Promise<void> {
    const { users, sessions } = this.deps;
    await this.deps.secondFactor?.requireStepUp(input);
    const user = await this.existingUser(input.userId);
    await this.reauthenticate(user, input, context, 'auth.account_delete_failed', 'delete the account');
    await sessions.removeUser(user.id);
    await users.delete(user.id);
    // A sign-in that read the user before the deletion reads it again once its session is in the index
    // (start-session.ts): this sweep, after the deletion, is the one that ends such a session.
    await sessions.removeUser(user.id);
    logEvent('info', 'auth.account_deleted', { userId: user.id, ip: context.ip });
  }

  /** Revokes the session a refresh token belongs to. Idempotent. */
  async signOut(refreshToken: unknown): Promise<void> {
    await this.deps.rotation.revokeByToken(refreshToken, 'signout');
    logEvent('info', 'auth.signout', {});
  }

  private async startSession(user: UserRecord, provider: string, context: RequestContext): Promise<SessionTokens> {
    const tokens = await startSession(this.deps, this.deps.users, user, { provider, ...context });
    logEvent('info', 'auth.signin', {
      userId: user.id,
      sessionId: tokens.sessionId,
      provider,
      ip: context.ip,
      userAgent: context.userAgent,
    });
    return tokens;
  }

  /** The signed-in user; gone means the access token outlived its account. */
  private async existingUser(userId: string): Promise<UserRecord> {
    const user = await this.deps.users.findById(userId);
    if (!user) throw new AuthError('invalid_token', 'This account no longer exists.');
    return user;
  }

  /**
   * Who asks for a sensitive change must show more than an access token: the password of an account that has one
   * (counted like a sign-in), or, for one without, a session signed in within REAUTHENTICATION_WINDOW_MS.
   * `what` finishes "Sign in again, then … within 10 minutes."
   */
  private async reauthenticate(
    user: UserRecord,
    caller: { sessionId: string; password?: string | undefined },
    context: RequestContext,
    failedEvent: string,
    what: string,
  ): Promise<void> {
    if (user.passwordHash) {
      await this.checkPassword(user, caller.password ?? '', context, failedEvent, 'The password is incorrect.');
      return;
    }
    const current = (await this.deps.sessions.list(user.id)).find((s) => s.id === caller.sessionId);
    if (!current || Date.now() - current.createdAt > REAUTHENTICATION_WINDOW_MS) {
      throw new AuthError('reauthentication_required', `Sign in again, then ${what} within 10 minutes.`);
    }
  }

  /** Re-checks a signed-in user's password before a sensitive change; each check counts as a sign-in attempt. */
  private async checkPassword(
    user: UserRecord,
    password: string,
    context: RequestContext,
    failedEvent: string,
    message: string,
  ): Promise<void> {
    await this.deps.limits.signIn(user.email, context.ip);
    if (!user.passwordHash || !(await verifyPassword(password, user.passwordHash))) {
      await this.deps.limits.signInFailed(user.email, context.ip);
      logEvent('info', failedEvent, { userId: user.id, reason: 'wrong_password', ip: context.ip });
      throw new AuthError('wrong_password', message);
    }
  }

  private getDummyHash(): Promise<string> {
    this.dummyHash ??= hashPassword(crypto.randomUUID(), this.deps.passwordIterations);
    return this.dummyHash;
  }
}

/** Runs a sign-in or sign-up and counts it by method and result: `success`, the error code, or `unavailable`. */
async function metered<T>(record: (method: string, result: string) => void, method: string, run: () => Promise<T>): Promise<T> {
  try {
    const result = await run();
    record(method, 'success');
    return result;
  } catch (error) {
    record(method, error instanceof AuthError ? error.code : isDependencyError(error) ? 'unavailable' : 'error');
    throw error;
  }
}
