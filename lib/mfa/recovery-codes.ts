/**
 * @module Recovery codes: 10 single-use codes of 50 random bits each, shown once and stored only as SHA-256
 * hashes (the codes are random, so a fast hash is as good as a slow one; rate limits bound the guessing).
 */

/** How many codes a set has. */
export const RECOVERY_CODE_COUNT = 10;

// Crockford's base32 without the letters people confuse (I, L, O, U).
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

/** One code: 10 characters in two groups, e.g. `k3m9q-x2t7b`. */
function newCode(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(10));
  const chars = Array.from(bytes, (b) => ALPHABET[b & 31]).join('');
  return `${chars.slice(0, 5)}-${chars.slice(5)}`;
}

/** A fresh set of codes, to show once. */
export function newRecoveryCodes(): string[] {
  return Array.from({ length: RECOVERY_CODE_COUNT }, newCode);
}

/** The code as typed, reduced to its characters: case, spaces and dashes do not matter. */
export function normalizeRecoveryCode(code: string): string {
  return code.toLowerCase().replace(/[\s-]/g, '');
}

/** True for text shaped like a recovery code. */
export const isRecoveryCodeShaped = (code: string) => new RegExp(`^[${ALPHABET}]{10}$`).test(normalizeRecoveryCode(code));

/** The stored form of a code: SHA-256 (hex) of its normalised text. */
export async function hashRecoveryCode(code: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(normalizeRecoveryCode(code)));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}
