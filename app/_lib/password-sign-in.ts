/** @module Signing in with email and password through NextAuth, shared by the sign-in and sign-up actions. */
import { AuthError as NextAuthError } from 'next-auth';
import { signIn } from '@/auth';
import { safeRedirectPath } from '@/lib/auth/safe-redirect';
import { getConfig } from '@/lib/config/env';
import type { FormState } from './forms';

/** Signs in and redirects to `callbackUrl` (if safe); the form's error when NextAuth refuses. */
export async function signInWithPassword(email: string, password: string, callbackUrl: unknown): Promise<FormState> {
  try {
    await signIn('credentials', { email, password, redirectTo: safeRedirectPath(callbackUrl, getConfig().APP_URL, '/account') });
    return {};
  } catch (error) {
    // NextAuth signals success with a redirect "error"; only its own AuthError means failure.
    if (error instanceof NextAuthError) {
      const code = (error as { code?: string }).code;
      if (code === 'email_not_verified') {
        return { error: 'Confirm your email address first, with the link we sent you.', email, unverified: true };
      }
      const limited = code === 'rate_limited';
      return {
        error: limited
          ? 'Too many sign-in attempts. Please wait a few minutes and try again.'
          : 'Email or password is incorrect.',
        email,
      };
    }
    throw error;
  }
}
