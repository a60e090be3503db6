'use client';
import { changePasswordAction } from './actions';
import { Field, FormMessages, NewPasswordFields, useKeptForm } from '../_components/form-parts';

/** Change-password form: current password, new password twice (with a strength hint). */
export function PasswordForm() {
  const { state, formAction, pending, onSubmit } = useKeptForm(changePasswordAction);
  return (
    <section>
      <h2>Change password</h2>
      <form action={formAction} onSubmit={onSubmit} data-testid="password-form" noValidate>
        <FormMessages error={state.error} done={state.done} />
        <Field
          name="current_password"
          label="Current password"
          type="password"
          autoComplete="current-password"
          required
          maxLength={256}
          error={state.fields?.current_password}
        />
        <NewPasswordFields errors={state.fields} />
        <div>
          <button type="submit" disabled={pending}>
            {pending ? 'Please wait…' : 'Change password'}
          </button>
        </div>
      </form>
    </section>
  );
}
