/**
 * @module Redis key names. Everything one Lua script or multi-key command touches shares a hash tag
 * ({fam:…} or {user:…}), so it runs unchanged on Redis Cluster (rate-limit keys: lib/rate-limit/limits.ts).
 */

const PREFIX = 'auth';

/** The hash holding one token family (one signed-in device). */
export const familyKey = (familyId: string) => `${PREFIX}:{fam:${familyId}}`;

/** Sorted set of a user's family ids, scored by absolute expiry (ms). */
export const userSessionsKey = (userId: string) => `${PREFIX}:{user:${userId}}:sessions`;

/** Capped list of a user's security events (newest first). */
export const userEventsKey = (userId: string) => `${PREFIX}:{user:${userId}}:events`;

/** One-time marker for a signed server-to-server request, for replay protection. */
export const callerNonceKey = (signature: string) => `${PREFIX}:nonce:${signature}`;

/** A pending password reset, by the SHA-256 of its token: the user id, until used or expired. */
export const passwordResetKey = (tokenHash: string) => `${PREFIX}:reset:${tokenHash}`;

/** The hash of a user's newest reset token, so a new request voids the one before. */
export const userPasswordResetKey = (userId: string) => `${PREFIX}:{user:${userId}}:reset`;

/** A half-signed-in state (password right, second factor pending), by the SHA-256 of its token. */
export const mfaPendingKey = (tokenHash: string) => `${PREFIX}:mfa:${tokenHash}`;

/** A WebAuthn challenge handed out, until it is used once or expires: its purpose and user. */
export const webauthnChallengeKey = (challenge: string) => `${PREFIX}:webauthn:${challenge}`;

/** A pending email verification, by the SHA-256 of its token: the user id, until used or expired. */
export const emailVerificationKey = (tokenHash: string) => `${PREFIX}:verify:${tokenHash}`;

/** A used email-verification token, by its SHA-256: the user id, for the link's TTL ("already confirmed"). */
export const usedEmailVerificationKey = (tokenHash: string) => `${PREFIX}:verified:${tokenHash}`;

/** The hash of a user's newest verification token, so a new link voids the one before. */
export const userEmailVerificationKey = (userId: string) => `${PREFIX}:{user:${userId}}:verify`;

/** A pending email change, by the SHA-256 of its token: the user, the new address and the asking session, until used or expired. */
export const emailChangeKey = (tokenHash: string) => `${PREFIX}:email-change:${tokenHash}`;

/** The hash of a user's newest email-change token, so a new request voids the one before. */
export const userEmailChangeKey = (userId: string) => `${PREFIX}:{user:${userId}}:email-change`;
