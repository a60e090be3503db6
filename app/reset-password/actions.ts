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
  if ('state' in input) return input.state;
  const context = await clientContext();
  const result = await attempt(
    async () => (await getAppServices()).passwordResets.confirm(input.data.token, input.data.new_password, context),
    {
      invalid_reset_token: 'This link has expired or was already used.',
      weak_password: { field: 'new_password' },
      rate_limited: true,
    },
  );
  if ('state' in result) return result.state;
  redirect('/signin?reset=1');
}
