'use client';
import Link from 'next/link';
import { useActionState } from 'react';
import type { FormState } from '../_lib/forms';
import { confirmPasswordResetAction } from './actions';
import { NewPasswordFields } from '../_components/form-parts';

/** The new password, twice; the token from the link rides along hidden. */
export function NewPasswordForm({ token }: { token: string }) {
  const [state, formAction, pending] = useActionState<FormState, FormData>(confirmPasswordResetAction, {});
  return (
    <form action={formAction}>
      {state.error && (
        <p className="error" role="alert">
          {state.error} {/invalid|expired/.test(state.error) && <Link href="/forgot-password">Ask for a new link</Link>}
        </p>
      )}
      <input type="hidden" name="token" value={token} />
      <NewPasswordFields />
      <button type="submit" disabled={pending}>
        {pending ? 'Please wait…' : 'Set new password'}
      </button>
    </form>
  );
}
