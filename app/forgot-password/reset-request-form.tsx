'use client';
import { useActionState } from 'react';
import type { FormState } from '../_lib/forms';
import { requestPasswordResetAction } from './actions';
import { FormMessages } from '../_components/form-parts';

/** Asks for a reset link. */
export function ResetRequestForm() {
  const [state, formAction, pending] = useActionState<FormState, FormData>(requestPasswordResetAction, {});
  if (state.done) {
    return (
      <p className="muted" role="status">
        {state.done}
      </p>
    );
  }
  return (
    <form action={formAction}>
      <FormMessages error={state.error} />
      <label>
        Email
        <input name="email" type="email" autoComplete="email" required />
      </label>
      <button type="submit" disabled={pending}>
        {pending ? 'Please wait…' : 'Send me a link'}
      </button>
    </form>
  );
}
