/**
 * @module Password hashing with PBKDF2-HMAC-SHA256 through Web Crypto: the strongest OWASP-listed
 * algorithm the edge runtime offers natively (no WASM or native addon on the edge path).
 * Stored form: `pbkdf2-sha256$<iterations>$<salt>$<hash>` (base64url), so parameters can rise later.
 */
import { fromBase64Url, randomBytes, timingSafeEqual, toBase64Url } from '../encoding/base64url';

const ALGORITHM = 'pbkdf2-sha256';
const encoder = new TextEncoder();

/** Longest accepted password, in characters; PBKDF2 pre-hashes the key, so this bounds request size, not CPU. */
export const MAX_PASSWORD_LENGTH = 256;

async function derive(password: string, salt: Uint8Array, iterations: number): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey('raw', encoder.encode(password.normalize('NFKC')), 'PBKDF2', false, ['deriveBits']);
  const bits = await crypto.subtle.deriveBits(
    { name: 'PBKDF2', hash: 'SHA-256', salt: salt as BufferSource, iterations },
    key,
    256,
  );
  return new Uint8Array(bits);
}

/** Hashes a password with a fresh 16-byte salt. */
export async function hashPassword(password: string, iterations: number): Promise<string> {
  const salt = randomBytes(16);
  const hash = await derive(password, salt, iterations);
  return `${ALGORITHM}$${iterations}$${toBase64Url(salt)}$${toBase64Url(hash)}`;
}

/** Checks a password against a stored hash in constant time; false for any malformed hash. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [algorithm, iterationsText, saltText, hashText] = stored.split('$');
  const iterations = Number(iterationsText);
  const salt = fromBase64Url(saltText ?? '');
  const expected = fromBase64Url(hashText ?? '');
  if (algorithm !== ALGORITHM || !Number.isInteger(iterations) || iterations < 1 || !salt || !expected) return false;
  return timingSafeEqual(await derive(password, salt, iterations), expected);
}

/** True when a stored hash was made with weaker parameters than the current ones. */
export function needsRehash(stored: string, iterations: number): boolean {
  const [algorithm, iterationsText] = stored.split('$');
  return algorithm !== ALGORITHM || Number(iterationsText) < iterations;
}
