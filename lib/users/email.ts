/** @module Email normalisation: one account per mailbox regardless of case, width or stray spaces. */

/** Longest accepted address (RFC 5321 path limit). */
export const MAX_EMAIL_LENGTH = 254;

/** Trims, applies Unicode NFKC and lower-cases an email address. */
export function normalizeEmail(input: string): string {
  return input.normalize('NFKC').trim().toLowerCase();
}
