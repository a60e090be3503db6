/**
 * @module Proof that a server-to-server call (NextAuth → POST /auth/oauth) comes from this
 * deployment: `t=<unix seconds>,v1=<base64url HMAC-SHA256(secret, "<t>.<body>")>`, valid for a
 * short window and accepted once (the signature is remembered in Redis until it would expire anyway).
 * The secret may be a list, newest first (OAUTH_CALLER_SECRET during a rotation): the first signs, any
 * verifies, so NextAuth and the API need not switch at the same instant.
 */
import { timingSafeEqualText, toBase64Url } from '../encoding/base64url';
import type { Redis } from '../redis/client';
import { callerNonceKey } from '../redis/keys';
import { AuthError } from './errors';

/** How long a signed call stays valid, in seconds (either side of now, for clock skew). */
export const CALLER_PROOF_WINDOW_SECONDS = 60;
/** The HTTP header that carries the proof. */
export const CALLER_PROOF_HEADER = 'x-auth-caller-signature';

const encoder = new TextEncoder();
const FORMAT = /^t=(\d{1,12}),v1=([A-Za-z0-9_-]{43})$/;

async function mac(secret: string, timestamp: number, body: string): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return new Uint8Array(await crypto.subtle.sign('HMAC', key, encoder.encode(`${timestamp}.${body}`)));
}

/** One secret, or a list of them newest first. */
export type CallerSecrets = string | readonly string[];

const listOf = (secrets: CallerSecrets): readonly string[] => (typeof secrets === 'string' ? [secrets] : secrets);

/** Signs a request body with the (newest) secret; returns the header value. */
export async function signCallerProof(secrets: CallerSecrets, body: string, nowMs = Date.now()): Promise<string> {
  const secret = listOf(secrets)[0];
  if (!secret) throw new Error('signCallerProof needs a secret');
  const t = Math.floor(nowMs / 1000);
  return `t=${t},v1=${toBase64Url(await mac(secret, t, body))}`;
}

/** Verifies a proof over the exact body under any of the secrets and consumes it; throws AuthError `unauthorized_client`. */
export async function verifyCallerProof(
  secrets: CallerSecrets,
  redis: Redis,
  header: string | undefined,
  body: string,
  nowMs = Date.now(),
): Promise<void> {
  const refuse = (why: string): never => {
    throw new AuthError('unauthorized_client', `Caller proof ${why}.`);
  };
  const match = FORMAT.exec(header ?? '');
  if (!match) return refuse('is missing or malformed');
  const t = Number(match[1]);
  if (Math.abs(nowMs / 1000 - t) > CALLER_PROOF_WINDOW_SECONDS) return refuse('is stale');
  // The canonical text, not decoded bytes: an alias spelling would otherwise get a nonce of its own and replay.
  let matches = false;
  // Every secret is tried, whichever matches, so the time taken does not tell which one signed.
  for (const secret of listOf(secrets)) {
    if (timingSafeEqualText(match[2]!, toBase64Url(await mac(secret, t, body)))) matches = true;
  }
  if (!matches) return refuse('does not match');
  const fresh = await redis.set(callerNonceKey(match[2]!), '1', { nx: true, ex: 2 * CALLER_PROOF_WINDOW_SECONDS });
  if (fresh === null) refuse('was already used');
}
