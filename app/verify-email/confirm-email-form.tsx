'use client';
import Link from 'next/link';
import { confirmEmailAction } from './actions';
import { FormMessages, useKeptForm } from '../_components/form-parts';
import { ResendVerificationForm } from '../_components/resend-verification-form';

/**
 * One button that redeems the link. Not redeemed on page load: mail scanners that open links would use
 * it up before the person does. A bad link leads on: "already confirmed, sign in", or a new link.
 */
export function ConfirmEmailForm({ token }: { token: string }) {
  const { state, formAction, pending, onSubmit } = useKeptForm(confirmEmailAction);
  if (state.alreadyConfirmed) {
    return (
      <>
        <p className="success" role="status">
          This link was already used: your email address is confirmed.
        </p>
        <p className="actions">
          <Link href="/signin" className="button">
            Sign in
          </Link>
        </p>
      </>
    );
  }
  if (state.error) return <BadConfirmationLink error={state.error} />;
  return (
    <form action={formAction} onSubmit={onSubmit}>
      <input type="hidden" name="token" value={token} />
      <button type="submit" disabled={pending}>
        {pending ? 'Please wait…' : 'Confirm my email address'}
      </button>
    </form>
  );
}

/** What a dead confirmation link offers: a new link to the address typed, or signing in. */
export function BadConfirmationLink({ error }: { error: string }) {
  return (
    <>
      <FormMessages error={error} />
      <h2>Get a new link</h2>
      <ResendVerificationForm askEmail label="Send me a new link" />
      <p className="muted">
        Already confirmed? <Link href="/signin">Sign in</Link>.
      </p>
    </>
  );
}
