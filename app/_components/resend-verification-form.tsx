'use client';
import { resendOwnVerificationAction, resendVerificationAction } from '../verify-email/actions';
import { Field, FormMessages, useKeptForm } from './form-parts';

/**
 * "Send the link again": for `email` (sign-in, sign-up), for the signed-in account (`email` left out), or for
 * an address the person types (`askEmail`, on a bad confirmation link).
 */
export function ResendVerificationForm({
  email,
  askEmail = false,
  label = 'Send the confirmation link again',
}: {
  email?: string | undefined;
  askEmail?: boolean;
  label?: string;
}) {
  const { state, formAction, pending, onSubmit } = useKeptForm(
    email === undefined && !askEmail ? resendOwnVerificationAction : resendVerificationAction,
  );
  return (
    <form action={formAction} onSubmit={onSubmit} data-testid="resend-verification" noValidate>
      <FormMessages error={state.error} done={state.done} />
      {email !== undefined && <input type="hidden" name="email" value={email} />}
      {askEmail && (
        <Field name="email" label="Your email address" type="email" autoComplete="email" required error={state.fields?.email} />
      )}
      <button type="submit" className={askEmail ? undefined : 'secondary'} disabled={pending}>
        {pending ? 'Please wait…' : label}
      </button>
    </form>
  );
}
