'use client';
import Link from 'next/link';
import { confirmPasswordResetAction } from './actions';
import { NewPasswordFields, useKeptForm } from '../_components/form-parts';

/** The new password, twice; the token from the link rides along hidden. */
export function NewPasswordForm({ token }: { token: string }) {
  const { state, formAction, pending, onSubmit } = useKeptForm(confirmPasswordResetAction);
  return (
    <form action={formAction} onSubmit={onSubmit} noValidate>
      {state.error && (
        <p className="error" role="alert">
          {state.error} <Link href="/forgot-password">Ask for a new link</Link>.
        </p>
      )}
      <input type="hidden" name="token" value={token} />
      <NewPasswordFields errors={state.fields} />
      <button type="submit" disabled={pending}>
        {pending ? 'Please wait…' : 'Set new password'}
      </button>
    </form>
  );
}
