'use client';
import { useActionState } from 'react';
import type { FormState } from '../_lib/forms';
import { confirmEmailAction } from './actions';
import { FormMessages } from '../_components/form-parts';

/**
 * One button that redeems the link. Not redeemed on page load: mail scanners that open links would use
 * it up before the person does.
 */
export function ConfirmEmailForm({ token }: { token: string }) {
  const [state, formAction, pending] = useActionState<FormState, FormData>(confirmEmailAction, {});
  return (
    <form action={formAction}>
      <FormMessages error={state.error} />
      <input type="hidden" name="token" value={token} />
      <button type="submit" disabled={pending}>
        {pending ? 'Please wait…' : 'Confirm my email address'}
      </button>
    </form>
  );
}
