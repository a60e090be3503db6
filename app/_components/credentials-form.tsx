'use client';
import { useActionState } from 'react';
import type { FormState } from '../_lib/forms';
import { FormMessages } from './form-parts';
import { ResendVerificationForm } from './resend-verification-form';

/** The email/password form shared by sign-in and sign-up. */
export function CredentialsForm({
  action,
  submitLabel,
  withName = false,
  callbackUrl,
  newPassword = false,
  passkeyAutofill = false,
}: {
  action: (prev: FormState, form: FormData) => Promise<FormState>;
  submitLabel: string;
  withName?: boolean;
  callbackUrl?: string;
  newPassword?: boolean;
  /** Offer passkeys in the email field's autofill (conditional mediation). */
  passkeyAutofill?: boolean;
}) {
  const [state, formAction, pending] = useActionState(action, {});
  // Sign-up with email verification on: the same "check your email" for any address, and no form to retry.
  if (state.done) return <FormMessages done={state.done} />;
  return (
    <>
      <form action={formAction}>
        <FormMessages error={state.error} />
        {withName && (
          <label>
            Name (optional)
            <input name="name" autoComplete="name" maxLength={100} />
          </label>
        )}
        <label>
          Email
          <input
            name="email"
            type="email"
            autoComplete={passkeyAutofill ? 'username webauthn' : 'email'}
            required
            defaultValue={state.email}
          />
        </label>
        <label>
          Password
          <input
            name="password"
            type="password"
            autoComplete={newPassword ? 'new-password' : 'current-password'}
            required
            minLength={newPassword ? 8 : 1}
            maxLength={256}
          />
        </label>
        {callbackUrl && <input type="hidden" name="callbackUrl" value={callbackUrl} />}
        <button type="submit" disabled={pending}>
          {pending ? 'Please wait…' : submitLabel}
        </button>
      </form>
      {state.unverified && <ResendVerificationForm email={state.email} />}
    </>
  );
}
