'use server';
/** @module The second-factor page's server action: the half-signed-in token (cookie) and a code, through NextAuth. */
import { AuthError as NextAuthError } from 'next-auth';
import { redirect } from 'next/navigation';
import { signIn } from '@/auth';
import { recoveryCodeField, totpCodeField } from '@/lib/mfa/input';
import { safeRedirectPath } from '@/lib/auth/safe-redirect';
import { getConfig } from '@/lib/config/env';
import { field, UNAVAILABLE, type FormState } from '../../_lib/forms';
import { retryInWords } from '../../_lib/password-sign-in';
import { forgetSecondFactor, pendingSecondFactor } from '../../_lib/second-factor-cookie';

/** Completes a sign-in with a TOTP code or a recovery code. */
export async function secondFactorAction(_prev: FormState, form: FormData): Promise<FormState> {
  const mfaToken = await pendingSecondFactor();
  if (!mfaToken) redirect('/signin?error=SecondFactorExpired');
  const useRecovery = field(form, 'method') === 'recovery';
  const parsed = (useRecovery ? recoveryCodeField : totpCodeField).safeParse(field(form, 'code') ?? '');
  if (!parsed.success) {
    return {
      error: useRecovery ? 'Enter one of your recovery codes (10 letters and digits).' : 'Enter the 6 digits your app shows.',
    };
  }
  try {
    await signIn('second-factor', {
      mfaToken,
      ...(useRecovery ? { recoveryCode: parsed.data } : { code: parsed.data }),
      redirectTo: safeRedirectPath(field(form, 'callbackUrl'), getConfig().APP_URL, '/account'),
    });
    return {};
  } catch (error) {
    if (!(error instanceof NextAuthError)) {
      // Success is a redirect: the token is spent, forget it on the way out.
      await forgetSecondFactor();
      throw error;
    }
    const code = (error as { code?: string }).code;
    if (code === 'invalid_mfa_token') {
      await forgetSecondFactor();
      redirect('/signin?error=SecondFactorExpired');
    }
    if (code === 'rate_limited') {
      return {
        error: `Too many attempts. Try again ${retryInWords((error as { retryAfterSeconds?: number }).retryAfterSeconds)}.`,
      };
    }
    if (code === 'service_unavailable') return { error: UNAVAILABLE };
    if (code === 'account_blocked') return { error: 'This account is blocked. Contact support.' };
    return {
      error: useRecovery
        ? 'That recovery code is not right, or was already used.'
        : 'That code is not right, or was already used. Enter the current code from your app.',
    };
  }
}
