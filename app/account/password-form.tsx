'use client';
import { useActionState } from 'react';
import type { FormState } from '../_lib/forms';
import { changePasswordAction } from './actions';
import { FormMessages, NewPasswordFields } from '../_components/form-parts';

/** Change-password form: current password, new password twice. */
export function PasswordForm() {
  const [state, formAction, pending] = useActionState<FormState, FormData>(changePasswordAction, {});
  return (
    <section>
      <h2>Change password</h2>
      <form action={formAction} data-testid="password-form">
        <FormMessages error={state.error} done={state.done} />
        <label>
          Current password
          <input name="current_password" type="password" autoComplete="current-password" required maxLength={256} />
        </label>
        <NewPasswordFields />
        <button type="submit" disabled={pending}>
          {pending ? 'Please wait…' : 'Change password'}
        </button>
      </form>
    </section>
  );
}
