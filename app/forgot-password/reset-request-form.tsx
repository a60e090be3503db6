'use client';
import type { FormState } from '../_lib/forms';
import { requestPasswordResetAction } from './actions';
import { CheckEmail } from '../_components/check-email';
import { EmailField, FormMessages, useKeptForm } from '../_components/form-parts';

/** Asks for a reset link (with the page's heading, which "Check your email" replaces); then names the address and offers to send it again (limited per address and IP). */
export function ResetRequestForm() {
  const { state, formAction, pending, onSubmit } = useKeptForm(requestPasswordResetAction);
  if (state.done && state.email) {
    return (
      <CheckEmail
        email={state.email}
        what="If an account with a password uses this address, we have sent it a link to choose a new password."
      >
        <ResendResetForm email={state.email} />
      </CheckEmail>
    );
  }
  return (
    <>
      <h1>Forgot your password?</h1>
      <p>Enter the email address of your account and we will send you a link to choose a new password.</p>
      <form action={formAction} onSubmit={onSubmit} noValidate>
        <FormMessages error={state.error} />
        <EmailField defaultValue={state.email} error={state.fields?.email} />
        <button type="submit" disabled={pending}>
          {pending ? 'Please wait…' : 'Send me a link'}
        </button>
      </form>
    </>
  );
}

/** "Send the link again" to the same address. */
function ResendResetForm({ email }: { email: string }) {
  const { state, formAction, pending, onSubmit } = useKeptForm(resendResetLink);
  return (
    <form action={formAction} onSubmit={onSubmit} data-testid="resend-reset">
      <FormMessages error={state.error} done={state.done} />
      <input type="hidden" name="email" value={email} />
      <button type="submit" className="secondary" disabled={pending}>
        {pending ? 'Please wait…' : 'Send the link again'}
      </button>
    </form>
  );
}

/** The request again, answered as "sent again" (a newer link voids the older one). */
async function resendResetLink(prev: FormState, form: FormData): Promise<FormState> {
  const result = await requestPasswordResetAction(prev, form);
  return result.done ? { done: 'We have sent another link. Only the newest link works.' } : result;
}
