'use client';
import { useStepUpAction } from './security/step-up';
import { changePasswordAction } from './actions';
import { FormMessages, NewPasswordFields } from '../_components/form-parts';

/** Change-password form: current password, new password twice. */
export function PasswordForm() {
  // A fresh second factor may be asked for first; the form is then sent again as it was.
  const [state, formAction, pending, stepUpPrompt] = useStepUpAction(changePasswordAction);
  return (
    <section>
      <h2>Change password</h2>
      <form action={formAction} data-testid="password-form">
        <FormMessages error={state.error} done={state.done} />
        {stepUpPrompt}
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
