/**
 * @module Passkeys (WebAuthn) with @simplewebauthn/server (installed as `simplewebauthn-server`): register,
 * list, rename, remove; sign in (button or autofill); step up. The library uses Web Crypto only
 * (`globalThis.crypto`, no `node:*`), so this runs on the edge as on Node. Its safe defaults are kept:
 * user verification is required, so a passkey sign-in is two factors (`amr: ["webauthn"]`, aal2).
 * Challenges are random, single-use (GETDEL when the response is checked) and expire after 5 minutes.
 */
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from 'simplewebauthn-server';
import { AuthError } from '../auth/errors';
import type { SessionTokens, TokenIssuer } from '../auth/session-tokens';
import { startSession } from '../auth/start-session';
import type { RateLimits } from '../rate-limit/limits';
import type { Redis } from '../redis/client';
import { webauthnChallengeKey } from '../redis/keys';
import type { Assurance } from '../tokens/assurance';
import type { RequestContext } from '../tokens/rotation';
import type { UserRecord, UserRepository } from '../users/repository';
import type { MfaNotifier } from '../mfa/events';
import type { Caller, MfaService } from '../mfa/service';
import type { PasskeyRecord, PasskeyStore } from './store';

/** How long a ceremony may take, and its challenge live. */
export const CHALLENGE_TTL_SECONDS = 300;

/** The provider name of a session started with a passkey (device list, `provider` claim). */
export const PASSKEY_PROVIDER = 'passkey';

/** What a challenge was handed out for; a response is checked against the same purpose and user. */
type Purpose = 'register' | 'signin' | 'step-up';

/** The relying party: its id (a domain), its name, and the origin ceremonies must come from. */
export interface RelyingParty {
  rpId: string;
  rpName: string;
  origin: string;
}

/** What the service needs. */
export interface PasskeyDeps {
  store: PasskeyStore;
  redis: Redis;
  limits: RateLimits;
  issuer: TokenIssuer;
  users: UserRepository;
  mfa: MfaService;
  notifier: MfaNotifier;
  rp: RelyingParty;
}

/** A passkey as its owner sees it. */
export interface PasskeyInfo {
  id: string;
  name: string;
  createdAt: number;
  lastUsedAt: number | null;
  /** Synced across devices (multi-device), and backed up. */
  synced: boolean;
}

const MAX_NAME = 60;

/** A passkey's display name: trimmed and bounded; a default when empty. */
export function passkeyName(name: unknown, fallback = 'Passkey'): string {
  const text = typeof name === 'string' ? name.replace(/\s+/g, ' ').trim().slice(0, MAX_NAME) : '';
  return text || fallback;
}

const info = (p: PasskeyRecord): PasskeyInfo => ({
  id: p.id,
  name: p.name,
  createdAt: p.createdAt.getTime(),
  lastUsedAt: p.lastUsedAt?.getTime() ?? null,
  synced: p.deviceType === 'multiDevice',
});

/** A refusal with what was expected and what came (the library's message names both). */
const rejected = (message: string) => new AuthError('passkey_rejected', message);

/** Registration, sign-in and step-up with passkeys. */
export class PasskeyService {
  constructor(private readonly deps: PasskeyDeps) {}

  /** The user's passkeys, oldest first. */
  async list(userId: string): Promise<PasskeyInfo[]> {
    return (await this.deps.store.list(userId)).map(info);
  }

  /** Options for navigator.credentials.create(): a discoverable credential with user verification. */
  async registrationOptions(userId: string, context: RequestContext): Promise<PublicKeyCredentialCreationOptionsJSON> {
    await this.deps.limits.passkeyChallenge(context.ip);
    const user = await this.existingUser(userId);
    const existing = await this.deps.store.list(user.id);
    const options = await generateRegistrationOptions({
      rpName: this.deps.rp.rpName,
      rpID: this.deps.rp.rpId,
      userName: user.email,
      userID: new TextEncoder().encode(user.id),
      userDisplayName: user.name ?? user.email,
      attestationType: 'none',
      // The same authenticator twice would be one credential under two names.
      excludeCredentials: existing.map((p) => ({ id: p.credentialId, transports: p.transports })),
      authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
      timeout: CHALLENGE_TTL_SECONDS * 1000,
    });
    await this.rememberChallenge(options.challenge, 'register', user.id);
    return options;
  }

  /** Verifies a registration (challenge, origin, RP id, user verification) and stores the passkey. */
  async register(
    caller: Caller,
    response: RegistrationResponseJSON,
    name: unknown,
    context: RequestContext,
  ): Promise<PasskeyInfo> {
    const user = await this.existingUser(caller.userId);
    let verified;
    try {
      verified = await verifyRegistrationResponse({
        response,
        expectedChallenge: (challenge) => this.useChallenge(challenge, 'register', user.id),
        expectedOrigin: this.deps.rp.origin,
        expectedRPID: this.deps.rp.rpId,
        requireUserVerification: true,
      });
    } catch (error) {
      throw rejected(`The passkey could not be registered: ${(error as Error).message}`);
    }
    if (!verified.verified) throw rejected('The passkey could not be registered.');
    const { credential, credentialDeviceType, credentialBackedUp } = verified.registrationInfo;
    const stored = await this.deps.store.add({
      userId: user.id,
      credentialId: credential.id,
      publicKey: credential.publicKey,
      counter: credential.counter,
      transports: credential.transports ?? [],
      name: passkeyName(name, `Passkey ${(await this.deps.store.count(user.id)) + 1}`),
      deviceType: credentialDeviceType,
      backedUp: credentialBackedUp,
    });
    if (!stored) throw rejected('This passkey is already registered.');
    await this.deps.notifier.notify(user, 'passkey_added', context, { passkeyName: stored.name });
    return info(stored);
  }

  /** Renames one of the user's passkeys; false when it is not theirs. */
  rename(userId: string, id: string, name: unknown): Promise<boolean> {
    return this.deps.store.rename(userId, id, passkeyName(name));
  }

  /** Removes one of the user's passkeys (needs a fresh second factor); false when it is not theirs. */
  async remove(caller: Caller, id: string, context: RequestContext): Promise<boolean> {
    await this.deps.mfa.requireStepUp(caller);
    const user = await this.existingUser(caller.userId);
    const removed = await this.deps.store.remove(user.id, id);
    if (!removed) return false;
    await this.deps.notifier.notify(user, 'passkey_removed', context, { passkeyName: removed.name });
    return true;
  }

  /** Options for a passkey sign-in (the button, or autofill): no allow-list, so any discoverable passkey of this site. */
  async signInOptions(context: RequestContext): Promise<PublicKeyCredentialRequestOptionsJSON> {
    await this.deps.limits.passkeyChallenge(context.ip);
    const options = await generateAuthenticationOptions({
      rpID: this.deps.rp.rpId,
      userVerification: 'required',
      timeout: CHALLENGE_TTL_SECONDS * 1000,
    });
    await this.rememberChallenge(options.challenge, 'signin', '');
    return options;
  }

  /** Signs in with a passkey: a session of two factors when the authenticator verified the user. */
  async signIn(response: AuthenticationResponseJSON, context: RequestContext): Promise<SessionTokens> {
    const { user, userVerified } = await this.verifyAssertion(response, 'signin', null, context);
    const assurance: Assurance = userVerified
      ? { aal: 'aal2', amr: ['webauthn'], verifiedAt: Date.now() }
      : { aal: 'aal1', amr: ['webauthn'], verifiedAt: 0 };
    // A blocked account signs in no way at all (support's block); said only after a valid passkey.
    return startSession(this.deps.issuer, this.deps.users, user, { provider: PASSKEY_PROVIDER, ...context, assurance });
  }

  /** Options for a step-up: only the caller's own passkeys. */
  async stepUpOptions(userId: string, context: RequestContext): Promise<PublicKeyCredentialRequestOptionsJSON> {
    await this.deps.limits.passkeyChallenge(context.ip);
    const passkeys = await this.deps.store.list(userId);
    if (passkeys.length === 0) throw rejected('This account has no passkey.');
    const options = await generateAuthenticationOptions({
      rpID: this.deps.rp.rpId,
      userVerification: 'required',
      allowCredentials: passkeys.map((p) => ({ id: p.credentialId, transports: p.transports })),
      timeout: CHALLENGE_TTL_SECONDS * 1000,
    });
    await this.rememberChallenge(options.challenge, 'step-up', userId);
    return options;
  }

  /** Step-up with one of the caller's passkeys: the session becomes aal2, fresh as of now. */
  async stepUp(caller: Caller, response: AuthenticationResponseJSON, context: RequestContext): Promise<Assurance> {
    const { userVerified } = await this.verifyAssertion(response, 'step-up', caller.userId, context);
    if (!userVerified) throw rejected('The authenticator did not verify the user (PIN or biometrics).');
    return this.deps.mfa.raiseSession(caller, 'webauthn');
  }

  /**
   * The assertion checklist: the credential is registered (to the expected user, for a step-up); the limits
   * admit the attempt; the library checks challenge (ours, unused, same purpose), origin, RP id, user
   * presence and verification, signature, and a signature counter that must grow when it is kept; the new
   * counter is stored only if no concurrent use stored one first. Failures count against the account.
   */
  private async verifyAssertion(
    response: AuthenticationResponseJSON,
    purpose: Purpose,
    expectedUserId: string | null,
    context: RequestContext,
  ): Promise<{ user: UserRecord; userVerified: boolean }> {
    const passkey = await this.deps.store.byCredentialId(response.id);
    if (!passkey || (expectedUserId !== null && passkey.userId !== expectedUserId)) {
      // The challenge is spent all the same: it was handed out for this one attempt.
      await this.deps.redis.del(webauthnChallengeKey(challengeOf(response)));
      throw rejected('This passkey is not registered for this account here.');
    }
    const user = await this.existingUser(passkey.userId);
    await this.deps.limits.secondFactor(user.id, context.ip);
    let result;
    try {
      result = await verifyAuthenticationResponse({
        response,
        expectedChallenge: (challenge) => this.useChallenge(challenge, purpose, purpose === 'signin' ? '' : user.id),
        expectedOrigin: this.deps.rp.origin,
        expectedRPID: this.deps.rp.rpId,
        credential: {
          id: passkey.credentialId,
          publicKey: new Uint8Array(passkey.publicKey),
          counter: passkey.counter,
          transports: passkey.transports,
        },
        requireUserVerification: true,
      });
    } catch (error) {
      await this.deps.mfa.countFailure(user, context);
      throw rejected(`The passkey was not accepted: ${(error as Error).message}`);
    }
    if (!result.verified) {
      await this.deps.mfa.countFailure(user, context);
      throw rejected('The passkey was not accepted.');
    }
    const { newCounter, credentialBackedUp, userVerified } = result.authenticationInfo;
    if (!(await this.deps.store.recordUse(passkey.id, passkey.counter, newCounter, credentialBackedUp))) {
      throw rejected('This passkey was used by another request at the same moment; try again.');
    }
    return { user, userVerified };
  }

  private async rememberChallenge(challenge: string, purpose: Purpose, userId: string): Promise<void> {
    await this.deps.redis.set(webauthnChallengeKey(challenge), `${purpose}:${userId}`, { ex: CHALLENGE_TTL_SECONDS });
  }

  /** Spends a challenge: true once, for the purpose and user it was handed out for. */
  private async useChallenge(challenge: string, purpose: Purpose, userId: string): Promise<boolean> {
    if (!/^[A-Za-z0-9_-]{16,128}$/.test(challenge)) return false;
    const stored = await this.deps.redis.getdel<string>(webauthnChallengeKey(challenge));
    return stored === `${purpose}:${userId}`;
  }

  private async existingUser(userId: string): Promise<UserRecord> {
    const user = await this.deps.users.findById(userId);
    if (!user) throw new AuthError('invalid_token', 'This account no longer exists.');
    return user;
  }
}

/** The challenge a response answers (from its clientDataJSON), or '' when unreadable. */
function challengeOf(response: AuthenticationResponseJSON): string {
  try {
    const json = JSON.parse(atob(response.response.clientDataJSON.replace(/-/g, '+').replace(/_/g, '/'))) as {
      challenge?: unknown;
    };
    return typeof json.challenge === 'string' && /^[A-Za-z0-9_-]{16,128}$/.test(json.challenge) ? json.challenge : '';
  } catch {
    return '';
  }
}
