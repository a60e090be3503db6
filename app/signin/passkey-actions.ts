'use server';
/** @module Passkey sign-in from the sign-in page: a challenge, then the browser's assertion through NextAuth. */
import { AuthError as NextAuthError } from 'next-auth';
import { signIn } from '@/auth';
import { getAppServices } from '@/lib/services/app-services';
import { safeRedirectPath } from '@/lib/auth/safe-redirect';
import { getConfig } from '@/lib/config/env';
import { clientContext, UNAVAILABLE } from '../_lib/forms';
import { retryInWords } from '../_lib/password-sign-in';

/** Options for navigator.credentials.get() (a fresh single-use challenge). */
export async function passkeySignInOptionsAction() {
  const { passkeys } = await getAppServices();
  return passkeys.signInOptions(await clientContext());
}

/**
 * Signs in with the assertion (JSON text): where to go next, or the error to show when refused. No redirect
 * from here: the autofill ceremony runs outside any form, so the page navigates itself.
 */
export async function passkeySignInAction(response: string, callbackUrl: string): Promise<{ error?: string; next?: string }> {
  try {
    await signIn('passkey', { response, redirect: false });
    return { next: safeRedirectPath(callbackUrl, getConfig().APP_URL, '/account') };
  } catch (error) {
    if (!(error instanceof NextAuthError)) throw error;
    const code = (error as { code?: string }).code;
    if (code === 'rate_limited') {
      return {
        error: `Too many attempts. Try again ${retryInWords((error as { retryAfterSeconds?: number }).retryAfterSeconds)}.`,
      };
    }
    if (code === 'service_unavailable') return { error: UNAVAILABLE };
    if (code === 'account_blocked') return { error: 'This account is blocked. Contact support.' };
    return { error: 'This passkey was not accepted here. Use another passkey, or sign in with your password.' };
  }
}
