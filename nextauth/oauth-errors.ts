/**
 * @module What went wrong in an OAuth sign-in, from the error Auth.js logged. Auth.js sends the browser to
 * `?error=Configuration` for anything outside its few "client-safe" errors, so a replayed or tampered
 * callback, a callback reloaded with the back button and an unreachable provider all looked like a broken
 * deployment. This names them, for the sign-in page's `?error=`.
 */

/** The `?error=` codes this adds to Auth.js's own. */
export type OAuthFailure = 'OAuthCallbackInvalid' | 'OAuthProviderUnreachable';

/** Network failures of fetch (undici) and of the sockets under it. */
const NETWORK =
  /fetch failed|ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|UND_ERR_|TimeoutError|AbortError|other side closed/i;

/** oauth4webapi's codes for a callback whose state or ID-token nonce is not the one this browser's sign-in sent. */
const MISMATCH = new Set(['OAUTH_INVALID_RESPONSE', 'OAUTH_JWT_CLAIM_COMPARISON_FAILED']);

/** The error and everything it was caused by (Auth.js nests the original as `cause.err`). */
function chain(error: unknown): Array<Record<string, unknown>> {
  const seen: Array<Record<string, unknown>> = [];
  let current: unknown = error;
  while (current && typeof current === 'object' && seen.length < 8 && !seen.includes(current as Record<string, unknown>)) {
    const link = current as Record<string, unknown>;
    seen.push(link);
    const cause = link.cause as Record<string, unknown> | undefined;
    current = cause && typeof cause === 'object' && 'err' in cause ? cause.err : cause;
  }
  return seen;
}

/**
 * The failure an Auth.js error stands for, or null when it is none of these (a real configuration problem):
 * - `OAuthCallbackInvalid`: the callback's state, PKCE verifier or nonce is missing from this browser's
 *   cookies or does not match them (a callback replayed, tampered with, reloaded after use or long
 *   expired), or the provider refused its code (`invalid_grant`: already redeemed or altered);
 * - `OAuthProviderUnreachable`: discovery, the token or the userinfo endpoint could not be reached.
 */
export function classifyOAuthFailure(error: unknown): OAuthFailure | null {
  const links = chain(error);
  const mismatch = (e: Record<string, unknown>) => MISMATCH.has(String(e.code)) && /"(state|nonce)"/.test(String(e.message));
  if (links.some((e) => e.type === 'InvalidCheck' || e.error === 'invalid_grant' || mismatch(e))) return 'OAuthCallbackInvalid';
  const text = (e: Record<string, unknown>) => `${String(e.name ?? '')} ${String(e.message ?? '')} ${String(e.code ?? '')}`;
  if (links.some((e) => NETWORK.test(text(e)))) return 'OAuthProviderUnreachable';
  return null;
}
