'use client';
import { useStepUpAction } from './security/step-up';
import { deleteAccountAction } from './actions';
import { FormMessages } from '../_components/form-parts';

/** Deletes the account: the password (if the account has one) and the word "delete" to confirm. */
export function DeleteAccountForm({ hasPassword }: { hasPassword: boolean }) {
  // A fresh second factor may be asked for first; the form is then sent again as it was.
  const [state, formAction, pending, stepUpPrompt] = useStepUpAction(deleteAccountAction);
  return (
    <section>
      <h2>Delete account</h2>
      <p className="muted">
        Deletes your account, every signed-in device and your security history. This cannot be undone.
        {hasPassword ? '' : ' Accounts without a password can be deleted within 10 minutes of signing in.'}
      </p>
      <form action={formAction} data-testid="delete-account-form">
        <FormMessages error={state.error} />
        {stepUpPrompt}
        {hasPassword && (
          <label>
            Password
            <input name="password" type="password" autoComplete="current-password" required maxLength={256} />
          </label>
        )}
        <label>
          Type &quot;delete&quot; to confirm
          <input name="confirm" autoComplete="off" required pattern="delete" />
        </label>
        <button type="submit" disabled={pending}>
          {pending ? 'Please wait…' : 'Delete my account'}
        </button>
      </form>
    </section>
  );
}
