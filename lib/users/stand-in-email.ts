/**
 * @module Stand-in addresses: the unique email of an account whose provider gave no address, or gave one
 * without vouching for it. `.invalid` is reserved (RFC 2606) and never delivered, so a stand-in can never be
 * mailed, reset, verified or linked, and sign-up refuses it (lib/auth/input.ts).
 */

/** Domain of stand-in addresses. */
export const STAND_IN_EMAIL_DOMAIN = 'users.oauth.invalid';

/** A stand-in address for one provider account: unique per account, unverified, undeliverable. */
export async function standInEmail(provider: string, providerAccountId: string): Promise<string> {
  const local = `${provider}-${providerAccountId}`;
  if (/^[a-z0-9_-]{1,64}$/i.test(local)) return `${local}@${STAND_IN_EMAIL_DOMAIN}`.toLowerCase();
  // Odd or long ids: a digest keeps the address valid and still one per account.
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(local)));
  const hex = Array.from(digest.subarray(0, 16), (b) => b.toString(16).padStart(2, '0')).join('');
  return `${provider}-${hex}@${STAND_IN_EMAIL_DOMAIN}`;
}

/** Whether an (normalised) address is a stand-in, which no mail must be sent to. */
export const isStandInEmail = (email: string): boolean => email.endsWith(`@${STAND_IN_EMAIL_DOMAIN}`);
