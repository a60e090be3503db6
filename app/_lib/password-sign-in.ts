/** @module Signing in with email and password through NextAuth, shared by the sign-in and sign-up actions. */
import { AuthError as NextAuthError } from 'next-auth';
import { signIn } from '@/auth';
import { safeRedirectPath } from '@/lib/auth/safe-redirect';
import { getConfig } from '@/lib/config/env';
import { UNAVAILABLE, type FormState } from './forms';
import { redirect } from 'next/navigation';
import { rememberSecondFactor } from './second-factor-cookie';

/** "in 40 seconds", "in 12 minutes": when a refused sign-in may try again, from the limit's Retry-After. */
export function retryInWords(seconds: number | undefined): string {
  if (!seconds || !Number.isFinite(seconds)) return 'in a few minutes';
  if (seconds < 60) return `in ${Math.ceil(seconds)} second${Math.ceil(seconds) === 1 ? '' : 's'}`;
  const minutes = Math.ceil(seconds / 60);
  return `in ${minutes} minute${minutes === 1 ? '' : 's'}`;
}

/** Signs in and redirects to `callbackUrl` (if safe); the form's error when NextAuth refuses. */
export async function signInWithPassword(email: string, password: string, callbackUrl: unknown): Promise<FormState> {
  try {
    await signIn('credentials', { email, password, redirectTo: safeRedirectPath(callbackUrl, getConfig().APP_URL, '/account') });
    return {};
  } catch (error) {
    // NextAuth signals success with a redirect "error"; only its own AuthError means failure.
    if (error instanceof NextAuthError) {
      const code = (error as { code?: string }).code;
      if (code === 'mfa_required') {
        // The password was right; the second-factor page finishes (the token rides in an HttpOnly cookie).
        await rememberSecondFactor((error as unknown as { mfaToken: string }).mfaToken);
        redirect(
          `/signin/second-factor?callbackUrl=${encodeURIComponent(safeRedirectPath(callbackUrl, getConfig().APP_URL, '/account'))}`,
        );
      }
      if (code === 'email_not_verified') {
        return { error: 'Confirm your email address first, with the link we sent you.', email, unverified: true };
      }
      if (code === 'service_unavailable') return { error: UNAVAILABLE, email };
      if (code === 'account_blocked') return { error: 'This account is blocked. Contact support.', email };
      if (code === 'rate_limited') {
        const wait = (error as { retryAfterSeconds?: number }).retryAfterSeconds;
        return { error: `Too many sign-in attempts. Try again ${retryInWords(wait)}.`, email };
      }
      return { error: 'Email or password is incorrect.', email };
    }
    throw error;
  }
}
