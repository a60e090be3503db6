'use client';
import { useActionState } from 'react';
import { changePasswordAction, type PasswordFormState } from '../actions';

/** Change-password form: current password, new password twice. */
export function PasswordForm() {
  const [state, formAction, pending] = useActionState<PasswordFormState, FormData>(changePasswordAction, {});
  return (
    <section>
      <h2>Change password</h2>
      <form action={formAction} data-testid="password-form">
        {state.error && (
          <p className="error" role="alert">
            {state.error}
          </p>
        )}
        {state.done && (
          <p className="muted" role="status">
            {state.done}
          </p>
        )}
        <label>
          Current password
          <input name="current_password" type="password" autoComplete="current-password" required maxLength={256} />
        </label>
        <label>
          New password
          <input name="new_password" type="password" autoComplete="new-password" required minLength={8} maxLength={256} />
        </label>
        <label>
          New password again
          <input name="confirm_password" type="password" autoComplete="new-password" required minLength={8} maxLength={256} />
        </label>
        <button type="submit" disabled={pending}>
          {pending ? 'Please wait…' : 'Change password'}
        </button>
      </form>
    </section>
  );
}
