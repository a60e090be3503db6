'use client';
import { changePasswordAction } from './actions';
import { Field, FormMessages, NewPasswordFields } from '../_components/form-parts';
import { useStepUpForm } from '../_components/step-up';

/** Change-password form: current password, new password twice (with a strength hint). */
export function PasswordForm() {
  // A fresh second factor may be asked for first; the same data is then sent again.
  const { state, formAction, pending, onSubmit, prompt } = useStepUpForm(changePasswordAction);
  return (
    <section>
      <h2>Change password</h2>
      <form action={formAction} onSubmit={onSubmit} data-testid="password-form" noValidate>
        <FormMessages error={state.error} done={state.done} />
        {prompt}
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
