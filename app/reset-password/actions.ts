'use server';
/** @module The reset-password page's server action: redeems a reset link with the new password. */
import { passwordResetConfirmInput } from '@/lib/auth/input';
import { getAppServices } from '@/lib/services/app-services';
import { redirect } from 'next/navigation';
import { attempt, clientContext, field, parseNewPasswordForm, type FormState } from '../_lib/forms';

/** Sets the new password from a reset link, then sends the person to sign in with it. */
export async function confirmPasswordResetAction(_prev: FormState, form: FormData): Promise<FormState> {
  const input = parseNewPasswordForm(
    passwordResetConfirmInput,
    { token: field(form, 'token'), new_password: field(form, 'new_password') },
    form,
  );
  if ('error' in input) return input;
  const context = await clientContext();
  const result = await attempt(
    async () => (await getAppServices()).passwordResets.confirm(input.data.token, input.data.new_password, context),
    { invalid_reset_token: true, rate_limited: true },
  );
  if ('error' in result) return result;
  redirect('/signin?reset=1');
}
