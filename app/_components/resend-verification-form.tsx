'use client';
import { useActionState } from 'react';
import type { FormState } from '../_lib/forms';
import { resendOwnVerificationAction, resendVerificationAction } from '../verify-email/actions';
import { FormMessages } from './form-parts';

/** "Send the link again": for `email` (the sign-in form), or for the signed-in account (`email` left out). */
export function ResendVerificationForm({ email }: { email?: string | undefined }) {
  const [state, formAction, pending] = useActionState<FormState, FormData>(
    email === undefined ? resendOwnVerificationAction : resendVerificationAction,
    {},
  );
  return (
    <form action={formAction} data-testid="resend-verification">
      <FormMessages error={state.error} done={state.done} />
      {email !== undefined && <input type="hidden" name="email" value={email} />}
      <button type="submit" disabled={pending}>
        {pending ? 'Please wait…' : 'Send the confirmation link again'}
      </button>
    </form>
  );
}
