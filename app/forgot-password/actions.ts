'use server';
/** @module The forgot-password page's server action: mails a reset link. */
import { firstIssue, passwordResetRequestInput } from '@/lib/auth/input';
import { getAppServices } from '@/lib/services/app-services';
import { afterAnswer } from '../_lib/after-answer';
import { attempt, clientContext, field, type FormState } from '../_lib/forms';

/** Mails a password-reset link; the same answer whether or not the address has an account. */
export async function requestPasswordResetAction(_prev: FormState, form: FormData): Promise<FormState> {
  const input = passwordResetRequestInput.safeParse({ email: field(form, 'email') });
  if (!input.success) return { error: firstIssue(input.error) };
  const context = await clientContext();
  const result = await attempt(
    async () => (await getAppServices()).passwordResets.request(input.data.email, context, afterAnswer),
    {
      rate_limited: true,
      service_unavailable: true,
    },
  );
  return 'error' in result
    ? result
    : { done: 'If an account with a password uses this address, we have sent it a link to choose a new password.' };
}
