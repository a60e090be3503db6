'use client';
import Link from 'next/link';
import { confirmEmailChangeAction } from './actions';
import { FormMessages, useKeptForm } from '../_components/form-parts';

/**
 * One button that uses the link. Not used on page load: mail scanners that open links would use it up before
 * the person does. Then what happened, and the way on: the account, or signing in with the new address.
 */
export function ConfirmEmailChangeForm({ token }: { token: string }) {
  const { state, formAction, pending, onSubmit } = useKeptForm(confirmEmailChangeAction);
  if (state.done && state.email) {
    return (
      <>
        <div className="success" role="status" data-testid="email-changed">
          <p>
            Your email address is now <strong>{state.email}</strong>.
          </p>
          <p style={{ margin: 0 }}>
            {state.signedIn
              ? 'Use it to sign in from now on. Your other devices were signed out; this one stays signed in.'
              : 'Sign in with it from now on. For your protection, devices other than the one that asked for the change were signed out.'}
          </p>
        </div>
        <p className="actions">
          <Link href={state.signedIn ? '/account' : '/signin'} className="button">
            {state.signedIn ? 'Go to your account' : 'Sign in'}
          </Link>
        </p>
      </>
    );
  }
  if (state.error) return <DeadEmailChangeLink error={state.error} />;
  return (
    <>
      <p>Press the button to confirm the change: your account then uses the address this link was sent to.</p>
      <form action={formAction} onSubmit={onSubmit}>
        <input type="hidden" name="token" value={token} />
        <button type="submit" disabled={pending}>
          {pending ? 'Please wait…' : 'Confirm my new email address'}
        </button>
      </form>
    </>
  );
}

/** What a link that cannot be used says, and the way on: ask again from the account page. */
export function DeadEmailChangeLink({ error }: { error: string }) {
  return (
    <>
      <FormMessages error={error} />
      <p>Your email address has not changed. To change it, ask again from your account: we send a new link.</p>
      <p className="actions">
        <Link href="/account" className="button">
          Go to your account
        </Link>
      </p>
    </>
  );
}
