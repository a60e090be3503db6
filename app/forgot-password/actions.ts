'use server';
/** @module The forgot-password page's server action: mails a reset link. */
import { passwordResetRequestInput } from '@/lib/auth/input';
import { getAppServices } from '@/lib/services/app-services';
import { afterAnswer } from '../_lib/after-answer';
import { attempt, clientContext, field, fieldErrors, type FormState } from '../_lib/forms';

/** Mails a password-reset link; the same answer whether or not the address has an account. */
export async function requestPasswordResetAction(_prev: FormState, form: FormData): Promise<FormState> {
  const input = passwordResetRequestInput.safeParse({ email: field(form, 'email') });
  if (!input.success) return { fields: fieldErrors(input.error), email: field(form, 'email') };
  const context = await clientContext();
  const result = await attempt(
    async () => (await getAppServices()).passwordResets.request(input.data.email, context, afterAnswer),
    {
      rate_limited: true,
      service_unavailable: true,
    },
  );
  if ('state' in result) return { ...result.state, email: input.data.email };
  return { done: 'sent', email: input.data.email };
}
