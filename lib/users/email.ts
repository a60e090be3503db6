/** @module Email normalisation: one account per mailbox regardless of case, width or stray spaces. */

/** Longest accepted address (RFC 5321 path limit). */
export const MAX_EMAIL_LENGTH = 254;

/** Trims, applies Unicode NFKC and lower-cases an email address. */
export function normalizeEmail(input: string): string {
  return input.normalize('NFKC').trim().toLowerCase();
}

/**
 * An address as a notice to someone else may show it ("n•••@example.com"): enough for its owner to recognise,
 * too little to give a stranger the address.
 */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  return `${Array.from(email.slice(0, Math.max(at, 0)))[0] ?? ''}•••${at >= 0 ? email.slice(at) : ''}`;
}
