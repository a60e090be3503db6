'use client';
import { changeEmailAction } from './actions';
import { Field, FormMessages } from '../_components/form-parts';
import { useStepUpForm } from '../_components/step-up';

/**
 * The account's email address, confirmed or not, and the form to change it: the new address, and the password
 * if the account has one. The address changes only once the link mailed to the new one is opened.
 */
export function EmailForm({
  email,
  verified,
  hasPassword,
  standIn,
}: {
  email: string;
  verified: boolean;
  hasPassword: boolean;
  /** The account has no real address yet (a provider shared none): the form adds one. */
  standIn: boolean;
}) {
  // A fresh second factor may be asked for first; the same data is then sent again.
  const { state, formAction, pending, onSubmit, prompt } = useStepUpForm(changeEmailAction);
  const sent = state.done && state.email && (
    <>
      We sent a link to <strong data-testid="email-change-sent-to">{state.email}</strong>.{' '}
      {standIn ? (
        'The address is added when you open it.'
      ) : (
        <>
          Your address stays <strong>{email}</strong> until you open it.
        </>
      )}
    </>
  );
  return (
    <section data-testid="email-section">
      <h2>Email address</h2>
      <p>
        {standIn ? (
          'Your account has no email address yet. Add one to sign in with it and to get mail about your account.'
        ) : (
          <>
            You sign in with <strong data-testid="email-current">{email}</strong>
            {verified ? ', which is confirmed.' : ', which is not confirmed yet.'}
          </>
        )}
      </p>
      <form action={formAction} onSubmit={onSubmit} data-testid="email-form" noValidate>
        <FormMessages error={state.error} done={sent} />
        {prompt}
        <Field
          name="new_email"
          label="New email address"
          type="email"
          autoComplete="email"
          required
          maxLength={254}
          help="We send a link to it. Your address changes when you open the link."
          error={state.fields?.new_email}
        />
        {hasPassword ? (
          <Field
            name="password"
            label="Current password"
            type="password"
            autoComplete="current-password"
            required
            maxLength={256}
            error={state.fields?.password}
          />
        ) : (
          <p className="muted">Accounts without a password can change their address within 10 minutes of signing in.</p>
        )}
        <div>
          <button type="submit" disabled={pending}>
            {pending ? 'Please wait…' : standIn ? 'Add email address' : 'Change email address'}
          </button>
        </div>
      </form>
    </section>
  );
}
