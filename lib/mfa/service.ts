/**
 * @module TOTP second factor, recovery codes, the half-signed-in state and step-up (docs/security.md,
 * "Passkeys and second factors"). Each check reads as a checklist: rate limit, factor present, code matches,
 * step not used before; each refusal is one of our codes, and every failure counts against the account.
 */
import { AuthError } from '../auth/errors';
import type { SessionTokens, TokenIssuer } from '../auth/session-tokens';
import { startSession } from '../auth/start-session';
import { randomBytes, toBase64Url } from '../encoding/base64url';
import type { RateLimits } from '../rate-limit/limits';
import type { Redis } from '../redis/client';
import { mfaPendingKey } from '../redis/keys';
import { firstFactor, withSecondFactor, type Assurance, type AssuranceStore, type AuthMethod } from '../tokens/assurance';
import type { RequestContext } from '../tokens/rotation';
import type { UserRecord, UserRepository } from '../users/repository';
import type { PasskeyStore } from '../passkeys/store';
import { MfaRequiredError } from './errors';
import type { MfaNotifier } from './events';
import { hashRecoveryCode, isRecoveryCodeShaped, newRecoveryCodes } from './recovery-codes';
import type { SecretBox } from './secret-box';
import type { MfaStore } from './store';
import { matchTotp, newTotpSecret, totpUri } from './totp';
import { qrSvg } from './qr-svg';

/** How long a half-signed-in state lasts: enough to open an authenticator app, not to wander off. */
export const MFA_PENDING_TTL_SECONDS = 300;

/** The session an action is done from. */
export interface Caller {
  userId: string;
  sessionId: string;
}

/** A second factor presented: a TOTP code or a recovery code. */
export type SecondFactorProof = { code: string } | { recoveryCode: string };

/** A started enrolment: what the authenticator app needs. Shown once, to its owner only. */
export interface TotpEnrolment {
  secret: string;
  uri: string;
  /** The URI as a QR code, an SVG document rendered on the server. */
  qrSvg: string;
}

/** What the account page and GET /auth/mfa show. */
export interface MfaStatus {
  totpEnabled: boolean;
  recoveryCodesLeft: number;
  passkeys: number;
}

/** What the service needs. */
export interface MfaDeps {
  store: MfaStore;
  passkeys: PasskeyStore;
  box: SecretBox;
  redis: Redis;
  limits: RateLimits;
  issuer: TokenIssuer;
  assurance: AssuranceStore;
  users: UserRepository;
  notifier: MfaNotifier;
  /** Shown as the issuer in authenticator apps. */
  issuerName: string;
  stepUpMaxAgeSeconds: number;
}

const sha256Hex = async (text: string) =>
  Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text))), (b) =>
    b.toString(16).padStart(2, '0'),
  ).join('');

/** The half-signed-in state as Redis keeps it: who, and how they got this far. */
interface Pending {
  userId: string;
  provider: string;
}

/** TOTP, recovery codes, the second sign-in step and step-up. */
export class MfaService {
  constructor(private readonly deps: MfaDeps) {}

  /** Which second factors the user has. */
  async status(userId: string): Promise<MfaStatus> {
    const [totp, recoveryCodesLeft, passkeys] = await Promise.all([
      this.deps.store.totp(userId),
      this.deps.store.recoveryCodesLeft(userId),
      this.deps.passkeys.count(userId),
    ]);
    return { totpEnabled: Boolean(totp?.confirmedAt), recoveryCodesLeft, passkeys };
  }

  /** The assurance of one of the user's sessions, as its family keeps it; null when it is gone or not theirs. */
  async sessionAssurance(caller: Caller): Promise<Assurance | null> {
    const family = await this.deps.assurance.read(caller.sessionId);
    return family && family.userId === caller.userId ? family.assurance : null;
  }

  /** True when the user can reach aal2: TOTP on, or a passkey registered. */
  async hasSecondFactor(userId: string): Promise<boolean> {
    const status = await this.status(userId);
    return status.totpEnabled || status.passkeys > 0;
  }

  /** Starts (or restarts) TOTP enrolment: a new secret, stored encrypted and pending until confirmed. */
  async beginTotp(userId: string): Promise<TotpEnrolment> {
    const user = await this.existingUser(userId);
    const secret = newTotpSecret();
    if (!(await this.deps.store.putPendingTotp(user.id, await this.deps.box.seal(secret, user.id)))) {
      throw new AuthError('totp_already_enabled', 'An authenticator app is already set up; turn it off first to set up another.');
    }
    const uri = totpUri(secret, this.deps.issuerName, user.email);
    return { secret, uri, qrSvg: qrSvg(uri) };
  }

  /**
   * Confirms enrolment with a first code: TOTP is on, 10 recovery codes replace any older ones (returned
   * once, stored hashed), and this session counts as two factors, as its owner just showed the second.
   */
  async confirmTotp(caller: Caller, code: string, context: RequestContext): Promise<{ recoveryCodes: string[] }> {
    const user = await this.existingUser(caller.userId);
    await this.deps.limits.secondFactor(user.id, context.ip);
    const factor = await this.deps.store.totp(user.id);
    if (!factor) throw new AuthError('totp_not_enabled', 'Start setting up an authenticator app first.');
    if (factor.confirmedAt) throw new AuthError('totp_already_enabled', 'An authenticator app is already set up.');
    const step = matchTotp(await this.deps.box.open(factor.secret, user.id), code);
    if (step === null)
      return this.failed(user, context, 'That code is not right. Check the time on your device and try the current code.');
    const recoveryCodes = newRecoveryCodes();
    const hashes = await Promise.all(recoveryCodes.map(hashRecoveryCode));
    if (!(await this.deps.store.confirmTotp(user.id, step, hashes))) {
      throw new AuthError('totp_already_enabled', 'An authenticator app is already set up.');
    }
    await this.raiseSession(caller, 'otp');
    await this.deps.notifier.notify(user, 'totp_enabled', context);
    return { recoveryCodes };
  }

  /** Turns TOTP off and drops the recovery codes; needs a fresh second factor. */
  async disableTotp(caller: Caller, context: RequestContext): Promise<void> {
    await this.requireStepUp(caller);
    const user = await this.existingUser(caller.userId);
    if (!(await this.deps.store.removeTotp(user.id))) {
      throw new AuthError('totp_not_enabled', 'No authenticator app is set up.');
    }
    await this.deps.notifier.notify(user, 'totp_disabled', context);
  }

  /** Replaces the recovery codes with 10 new ones (shown once); needs TOTP on and a fresh second factor. */
  async regenerateRecoveryCodes(caller: Caller, context: RequestContext): Promise<{ recoveryCodes: string[] }> {
    const factor = await this.deps.store.totp(caller.userId);
    if (!factor?.confirmedAt)
      throw new AuthError('totp_not_enabled', 'Recovery codes come with an authenticator app; set one up first.');
    await this.requireStepUp(caller);
    const user = await this.existingUser(caller.userId);
    const recoveryCodes = newRecoveryCodes();
    await this.deps.store.replaceRecoveryCodes(user.id, await Promise.all(recoveryCodes.map(hashRecoveryCode)));
    await this.deps.notifier.notify(user, 'recovery_codes_regenerated', context);
    return { recoveryCodes };
  }

  /**
   * After a right password or a provider's sign-in: nothing when the account has no TOTP; otherwise a
   * half-signed-in state (a random token whose hash is a Redis key for MFA_PENDING_TTL_SECONDS), thrown
   * as MfaRequiredError. The token is no session: no refresh token, no access token, no family.
   */
  async challenge(user: UserRecord, provider: string): Promise<void> {
    const factor = await this.deps.store.totp(user.id);
    if (!factor?.confirmedAt) return;
    const token = `mfa1.${toBase64Url(randomBytes(32))}`;
    const pending: Pending = { userId: user.id, provider };
    await this.deps.redis.set(mfaPendingKey(await sha256Hex(token)), JSON.stringify(pending), { ex: MFA_PENDING_TTL_SECONDS });
    throw new MfaRequiredError(token, Date.now() + MFA_PENDING_TTL_SECONDS * 1000, ['totp', 'recovery_code']);
  }

  /**
   * The second sign-in step: the half-signed-in token and a TOTP or recovery code. The token works once: only
   * the request that deletes it after a right code starts a session (aal2, amr of both factors).
   */
  async completeSignIn(mfaToken: string, proof: SecondFactorProof, context: RequestContext): Promise<SessionTokens> {
    const key = mfaPendingKey(await sha256Hex(mfaToken));
    const pending = parsePending(await this.deps.redis.get<string>(key));
    if (!pending) throw invalidMfaToken();
    const user = await this.deps.users.findById(pending.userId);
    if (!user) throw invalidMfaToken();
    const method = await this.verify(user, proof, context);
    if ((await this.deps.redis.del(key)) !== 1) throw invalidMfaToken();
    const assurance = withSecondFactor(firstFactor(pending.provider), method, Date.now());
    // Blocked by support between the two steps: said only to whoever showed both factors.
    return startSession(this.deps.issuer, this.deps.users, user, { provider: pending.provider, ...context, assurance });
  }

  /** Step-up with a TOTP or recovery code: this session becomes aal2, fresh as of now. */
  async stepUp(caller: Caller, proof: SecondFactorProof, context: RequestContext): Promise<Assurance> {
    const user = await this.existingUser(caller.userId);
    const method = await this.verify(user, proof, context);
    return this.raiseSession(caller, method);
  }

  /**
   * The step-up rule of sensitive actions: an account that has a second factor must have shown one in this
   * session within STEP_UP_MAX_AGE_SECONDS (403 step_up_required). One without any has nothing to step up
   * to; the action's own checks (the password) apply.
   */
  async requireStepUp(caller: Caller): Promise<void> {
    if (!(await this.hasSecondFactor(caller.userId))) return;
    const family = await this.deps.assurance.read(caller.sessionId);
    if (!family || family.userId !== caller.userId) throw new AuthError('token_revoked', 'This session has been signed out.');
    const { aal, verifiedAt } = family.assurance;
    if (aal !== 'aal2' || Date.now() - verifiedAt > this.deps.stepUpMaxAgeSeconds * 1000) {
      throw new AuthError(
        'step_up_required',
        'For your protection, confirm it is you with your passkey or authenticator app, then try again.',
      );
    }
  }

  /** Marks the caller's session as having shown a second factor (`method`) now. */
  async raiseSession(caller: Caller, method: AuthMethod): Promise<Assurance> {
    const family = await this.deps.assurance.read(caller.sessionId);
    if (!family || family.userId !== caller.userId) throw new AuthError('token_revoked', 'This session has been signed out.');
    const next = withSecondFactor(family.assurance, method, Date.now());
    if (!(await this.deps.assurance.raise(caller.sessionId, next))) {
      throw new AuthError('token_revoked', 'This session has been signed out.');
    }
    return next;
  }

  /** Counts a wrong second factor; a streak that used up the account's window is recorded and mailed. */
  async countFailure(user: { id: string; email: string }, context: RequestContext): Promise<void> {
    if (await this.deps.limits.secondFactorFailed(user.id)) {
      await this.deps.notifier.notify(user, 'second_factor_failures', context);
    }
  }

  /**
   * The checklist of one second factor: the limits admit it; a TOTP code matches the secret within a step
   * and its step is later than the last accepted one (a replay is refused); a recovery code is one of the
   * unused ones and is used up. Returns the method for `amr`.
   */
  private async verify(user: UserRecord, proof: SecondFactorProof, context: RequestContext): Promise<AuthMethod> {
    await this.deps.limits.secondFactor(user.id, context.ip);
    if ('code' in proof) {
      const factor = await this.deps.store.totp(user.id);
      if (!factor?.confirmedAt) return this.failed(user, context, 'No authenticator app is set up for this account.');
      const secret = await this.deps.box.open(factor.secret, user.id);
      const step = matchTotp(secret, proof.code);
      if (step === null) return this.failed(user, context, 'That code is not right. Try the current code from your app.');
      if (!(await this.deps.store.acceptStep(user.id, step))) {
        return this.failed(user, context, 'That code was already used. Wait for the next one in your app.');
      }
      if (await this.deps.box.isStale(factor.secret)) {
        // Re-sealed under the newest key of the ring, so an old key can be retired (best effort).
        const resealed = await this.deps.box.seal(secret, user.id);
        await this.deps.store.resealTotp(user.id, factor.secret, resealed).catch(() => undefined);
      }
      return 'otp';
    }
    if (
      !isRecoveryCodeShaped(proof.recoveryCode) ||
      !(await this.deps.store.useRecoveryCode(user.id, await hashRecoveryCode(proof.recoveryCode)))
    ) {
      return this.failed(user, context, 'That recovery code is not right, or was already used.');
    }
    const left = await this.deps.store.recoveryCodesLeft(user.id);
    await this.deps.notifier.notify(user, 'recovery_code_used', context, { recoveryCodesLeft: left });
    return 'recovery_code';
  }

  private async failed(user: UserRecord, context: RequestContext, message: string): Promise<never> {
    await this.countFailure(user, context);
    throw new AuthError('invalid_mfa_code', message);
  }

  private async existingUser(userId: string): Promise<UserRecord> {
    const user = await this.deps.users.findById(userId);
    if (!user) throw new AuthError('invalid_token', 'This account no longer exists.');
    return user;
  }
}

const invalidMfaToken = () =>
  new AuthError('invalid_mfa_token', 'This sign-in has expired or was already completed. Sign in again.');

function parsePending(raw: unknown): Pending | null {
  if (raw === null || raw === undefined) return null;
  try {
    const value = (typeof raw === 'string' ? JSON.parse(raw) : raw) as Partial<Pending>;
    return typeof value.userId === 'string' && typeof value.provider === 'string'
      ? { userId: value.userId, provider: value.provider }
      : null;
  } catch {
    return null;
  }
}
