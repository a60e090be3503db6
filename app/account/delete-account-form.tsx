'use client';
import { deleteAccountAction } from './actions';
import { Field, FormMessages } from '../_components/form-parts';
import { useStepUpForm } from '../_components/step-up';

/** Deletes the account: the password (if the account has one) and the word "delete", in any case, to confirm. */
export function DeleteAccountForm({ hasPassword }: { hasPassword: boolean }) {
  // A fresh second factor may be asked for first; the same data is then sent again.
  const { state, formAction, pending, onSubmit, prompt } = useStepUpForm(deleteAccountAction);
  const errors = state.fields ?? {};
  return (
    <section>
      <h2>Delete account</h2>
      <p className="muted">
        Deletes your account, every signed-in device and your security history. This cannot be undone.
        {hasPassword ? '' : ' Accounts without a password can be deleted within 10 minutes of signing in.'}
      </p>
      <form action={formAction} onSubmit={onSubmit} data-testid="delete-account-form" noValidate>
        <FormMessages error={state.error} />
        {prompt}
        {hasPassword && (
          <Field
            name="password"
            label="Your password"
            type="password"
            autoComplete="current-password"
            required
            maxLength={256}
            error={errors.password}
          />
        )}
        <Field name="confirm" label='Type "delete" to confirm' autoComplete="off" required error={errors.confirm} />
        <div>
          <button type="submit" className="danger" disabled={pending}>
            {pending ? 'Please wait…' : 'Delete my account'}
          </button>
        </div>
      </form>
    </section>
  );
}
