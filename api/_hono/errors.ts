/** @module The one place that maps domain error codes to HTTP responses (RFC 6750 vocabulary alongside ours). */
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { AuthError, isDependencyError, isSessionEndedCode, type AuthErrorCode } from '../../lib/auth/errors';
import { logEvent } from '../../lib/observability/log';
import { MfaRequiredError } from '../../lib/mfa/errors';
import { telemetry } from '../../lib/observability/telemetry';

/** Codes the HTTP layer adds to the domain's. */
export type ApiErrorCode =
  AuthErrorCode | 'not_found' | 'method_not_allowed' | 'payload_too_large' | 'unsupported_media_type' | 'internal_error';

const STATUS: Record<ApiErrorCode, ContentfulStatusCode> = {
  invalid_request: 400,
  invalid_reset_token: 400,
  invalid_verification_token: 400,
  // An email change: the new address is malformed or undeliverable, or the current one again; the link is dead.
  invalid_email: 400,
  email_unchanged: 400,
  invalid_email_change_token: 400,
  // A new password the policy refuses (lib/passwords/policy.ts), or the current one again.
  weak_password: 400,
  password_unchanged: 400,
  // The request bypassed the proxies whose X-Forwarded-For hop the deployment trusts (CLIENT_IP_SOURCE).
  client_unidentified: 400,
  invalid_credentials: 401,
  invalid_token: 401,
  token_expired: 401,
  token_reused: 401,
  token_revoked: 401,
  unauthorized_client: 401,
  // Authenticated, but the current password given to change it is wrong: not a token problem.
  wrong_password: 403,
  reauthentication_required: 403,
  // The password was right, but the account's email must be confirmed first (EMAIL_VERIFICATION=required).
  email_not_verified: 403,
  // The password was right; a second factor must follow (the body carries the mfa_token).
  mfa_required: 403,
  // Unknown, used or expired half-signed-in token: sign in again.
  invalid_mfa_token: 401,
  invalid_mfa_code: 401,
  // Authenticated, but this action needs a fresh second factor first (POST /auth/mfa/step-up).
  step_up_required: 403,
  passkey_rejected: 401,
  totp_already_enabled: 409,
  totp_not_enabled: 409,
  // A support agent blocked the account (npm run admin -- block): the right password does not help.
  account_blocked: 403,
  password_not_set: 409,
  email_taken: 409,
  account_not_linkable: 409,
  // DELETE /sessions/:id names the caller's own session: that is a sign-out (POST /auth/signout).
  current_session: 409,
  not_found: 404,
  method_not_allowed: 405,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  internal_error: 500,
  service_unavailable: 503,
};

/** An error raised by the HTTP layer itself (bad body, wrong content type...). */
export class ApiError extends Error {
  constructor(
    readonly code: ApiErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Builds the JSON error response `{error: {code, message}}` with the right status and headers. */
export function errorResponse(
  c: Context,
  code: ApiErrorCode,
  message: string,
  retryAfterSeconds?: number,
  limit?: number,
): Response {
  if (isSessionEndedCode(code)) c.header('WWW-Authenticate', `Bearer error="invalid_token", error_description="${code}"`);
  if (retryAfterSeconds !== undefined) c.header('Retry-After', String(retryAfterSeconds));
  if (limit !== undefined) {
    // IETF RateLimit header fields (draft-ietf-httpapi-ratelimit-headers): a refused request has none left.
    c.header('RateLimit-Limit', String(limit));
    c.header('RateLimit-Remaining', '0');
    c.header('RateLimit-Reset', String(retryAfterSeconds ?? 1));
  }
  c.header('Cache-Control', 'no-store');
  telemetry().annotate({ 'auth.error_code': code });
  return c.json({ error: { code, message } }, STATUS[code]);
}

/** Turns any thrown error into a response; unexpected ones are logged without request data. */
export function toErrorResponse(error: unknown, c: Context): Response {
  if (error instanceof MfaRequiredError) {
    // The error shape, plus what the second step needs (as Auth0's mfa_required): the single-use token.
    c.header('Cache-Control', 'no-store');
    const { code, message, mfaToken, expiresAt, methods } = error;
    return c.json({ error: { code, message, mfa_token: mfaToken, mfa_token_expires_at: expiresAt, methods } }, STATUS[code]);
  }
  if (error instanceof AuthError) {
    if (error.code === 'rate_limited') logEvent('warn', 'auth.rate_limited', { path: c.req.path });
    return errorResponse(c, error.code, error.message, error.details?.retryAfterSeconds, error.details?.limit);
  }
  if (error instanceof ApiError) return errorResponse(c, error.code, error.message);
  if (isDependencyError(error)) {
    // The cause's kind only (TimeoutError, UpstashError, ...), never its message: it can carry connection strings.
    logEvent('error', 'dependency_failure', {
      dependency: error.dependency,
      error: (error.cause as Error | undefined)?.name,
      path: c.req.path,
    });
    return errorResponse(c, 'service_unavailable', 'A backing service is unavailable; try again shortly.', 1);
  }
  logEvent('error', 'unhandled_error', { error: String((error as Error)?.stack ?? error), path: c.req.path });
  return errorResponse(c, 'internal_error', 'Unexpected server error.');
}
