/**
 * @module The half-signed-in token between the first sign-in step and the second-factor page: an HttpOnly
 * cookie scoped to /signin, never a URL (no history, no logs, no Referer), gone after 5 minutes.
 */
import { cookies } from 'next/headers';
import { getConfig } from '@/lib/config/env';
import { MFA_PENDING_TTL_SECONDS } from '@/lib/mfa/service';

const name = () => (getConfig().secureCookies ? '__Secure-mfa-pending' : 'mfa-pending');

/** Keeps the token for the second-factor page. */
export async function rememberSecondFactor(mfaToken: string): Promise<void> {
  (await cookies()).set(name(), mfaToken, {
    httpOnly: true,
    sameSite: 'lax',
    secure: getConfig().secureCookies,
    path: '/signin',
    maxAge: MFA_PENDING_TTL_SECONDS,
  });
}

/** The pending token, if any. */
export async function pendingSecondFactor(): Promise<string | undefined> {
  return (await cookies()).get(name())?.value;
}

/** Forgets the token (used, or abandoned). */
export async function forgetSecondFactor(): Promise<void> {
  (await cookies()).set(name(), '', { path: '/signin', maxAge: 0 });
}
