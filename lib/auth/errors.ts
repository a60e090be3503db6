/** @module Domain errors with stable machine-readable codes; the API maps each code to HTTP once. */
import { recordDependencyFailure } from '../observability/telemetry';

/** Every error code the domain can raise. */
export type AuthErrorCode =
  | 'invalid_request'
  | 'invalid_credentials'
  | 'wrong_password'
  | 'weak_password'
  | 'password_unchanged'
  | 'password_not_set'
  | 'reauthentication_required'
  | 'invalid_reset_token'
  | 'invalid_verification_token'
  | 'invalid_email'
  | 'email_unchanged'
  | 'invalid_email_change_token'
  | 'email_not_verified'
  | 'email_taken'
  | 'account_not_linkable'
  | 'current_session'
  | 'invalid_token'
  | 'token_expired'
  | 'token_reused'
  | 'token_revoked'
  | 'unauthorized_client'
  | 'rate_limited'
  | 'client_unidentified'
  | 'account_blocked'
  | 'service_unavailable'
  // Second factors and passkeys (lib/mfa, lib/passkeys).
  | 'mfa_required'
  | 'invalid_mfa_token'
  | 'invalid_mfa_code'
  | 'step_up_required'
  | 'passkey_rejected'
  | 'totp_already_enabled'
  | 'totp_not_enabled';

/** An expected failure of an auth operation, safe to show to the caller. */
export class AuthError extends Error {
  override name = 'AuthError';
  constructor(
    readonly code: AuthErrorCode,
    message: string,
    readonly details?: { retryAfterSeconds?: number; limit?: number },
  ) {
    super(message);
  }
}

/** Codes that mean the presented token stands for no live session: the client must sign in again. */
const SESSION_ENDED: ReadonlySet<AuthErrorCode> = new Set(['invalid_token', 'token_expired', 'token_reused', 'token_revoked']);

/** True for the codes that say a token no longer stands for a session (malformed, expired, reused or revoked). */
export function isSessionEndedCode(code: string): boolean {
  return SESSION_ENDED.has(code as AuthErrorCode);
}

/** True when the error says the token no longer stands for a session; see {@link isSessionEndedCode}. */
export function endsSession(error: unknown): error is AuthError {
  return error instanceof AuthError && isSessionEndedCode(error.code);
}

/**
 * True when a genuine refresh token was refused by the rotation engine (expired, reused or revoked), as
 * opposed to a forged or malformed one, which is refused from its tag without asking Redis.
 */
export function isRefusedToken(error: unknown): error is AuthError {
  return endsSession(error) && error.code !== 'invalid_token';
}

/** The backing services a request depends on. */
export type Dependency = 'redis' | 'database';

/**
 * A backing service failed or did not answer in time: the request may succeed if retried later (the API
 * answers 503). Thrown by the Redis client and the database client of lib/, with the original as `cause`;
 * its message keeps the original's, so code that reads replies (e.g. NOSCRIPT) still recognises them.
 */
export class DependencyError extends Error {
  override name = 'DependencyError';
  constructor(
    readonly dependency: Dependency,
    cause: unknown,
  ) {
    super(`${dependency}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    // Made once per failure (callers never wrap one twice), so this is the one place that counts them.
    recordDependencyFailure(dependency);
  }
}

/** True for a {@link DependencyError}. */
export function isDependencyError(error: unknown): error is DependencyError {
  return error instanceof DependencyError;
}
