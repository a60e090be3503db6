'use client';
import { useState } from 'react';
import type { FormState } from '../_lib/forms';
import { CheckEmail } from './check-email';
import { EmailField, Field, FormMessages, useKeptForm } from './form-parts';
import { PasswordStrengthHint } from './password-strength';
import { ResendVerificationForm } from './resend-verification-form';

/** The email/password form shared by sign-in and sign-up; what was typed stays after a refusal. */
export function CredentialsForm({
  action,
  submitLabel,
  withName = false,
  callbackUrl,
  newPassword = false,
  heading,
  passkeyAutofill = false,
}: {
  action: (prev: FormState, form: FormData) => Promise<FormState>;
  submitLabel: string;
  withName?: boolean;
  callbackUrl?: string;
  newPassword?: boolean;
  /** The page's heading, rendered here so that "Check your email" can take its place. */
  heading?: string;
  /** Offer passkeys in the email field's autofill (conditional mediation). */
  passkeyAutofill?: boolean;
}) {
  const { state, formAction, pending, onSubmit } = useKeptForm(action);
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const errors = state.fields ?? {};
  // Sign-up with email verification on: the same "check your email" for any address, naming it, with a resend.
  if (state.done && state.email) {
    return (
      <CheckEmail email={state.email} what="Open the link in it to confirm your address, then sign in.">
        <ResendVerificationForm email={state.email} label="Send the email again" />
      </CheckEmail>
    );
  }
  return (
    <>
      {heading && <h1>{heading}</h1>}
      <form action={formAction} onSubmit={onSubmit} noValidate>
        <FormMessages error={state.error} />
        {withName && <Field name="name" label="Name (optional)" autoComplete="name" maxLength={100} error={errors.name} />}
        <EmailField
          autoComplete={passkeyAutofill ? 'username webauthn' : 'email'}
          defaultValue={state.email}
          error={errors.email}
          onChange={(e) => setEmail(e.currentTarget.value)}
        />
        <Field
          name="password"
          label="Password"
          type="password"
          autoComplete={newPassword ? 'new-password' : 'current-password'}
          required
          maxLength={256}
          help={newPassword ? 'At least 8 characters. A few unrelated words make a strong password.' : undefined}
          error={errors.password}
          onChange={(e) => setPassword(e.currentTarget.value)}
        >
          {newPassword && <PasswordStrengthHint password={password} context={{ email }} />}
        </Field>
        {callbackUrl && <input type="hidden" name="callbackUrl" value={callbackUrl} />}
        <button type="submit" disabled={pending}>
          {pending ? 'Please wait…' : submitLabel}
        </button>
      </form>
      {state.unverified && <ResendVerificationForm email={state.email} />}
    </>
  );
}
