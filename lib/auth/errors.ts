/** @module Domain errors with stable machine-readable codes; the API maps each code to HTTP once. */

/** Every error code the domain can raise. */
export type AuthErrorCode =
  | 'invalid_request'
  | 'invalid_credentials'
  | 'wrong_password'
  | 'password_not_set'
  | 'reauthentication_required'
  | 'invalid_reset_token'
  | 'invalid_verification_token'
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
  | 'service_unavailable';

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
