'use client';
import { useState } from 'react';
import { Field, FormMessages, useKeptForm } from '../../_components/form-parts';
import { secondFactorAction } from './actions';

/** The code from the authenticator app, or (switchable) a recovery code. */
export function SecondFactorForm({ callbackUrl }: { callbackUrl: string }) {
  const { state, formAction, pending, onSubmit } = useKeptForm(secondFactorAction);
  const [recovery, setRecovery] = useState(false);
  return (
    <form action={formAction} onSubmit={onSubmit} data-testid="second-factor-form" noValidate>
      <FormMessages error={state.error} />
      <input type="hidden" name="method" value={recovery ? 'recovery' : 'totp'} />
      <input type="hidden" name="callbackUrl" value={callbackUrl} />
      {recovery ? (
        <Field
          key="recovery"
          name="code"
          label="Recovery code"
          help="One of the 10 codes you kept when you set up the app. Each works once."
          autoComplete="off"
          required
          maxLength={40}
        />
      ) : (
        <Field
          key="totp"
          name="code"
          label="Code from your authenticator app"
          inputMode="numeric"
          autoComplete="one-time-code"
          required
          maxLength={20}
        />
      )}
      <div className="actions">
        <button type="submit" disabled={pending}>
          {pending ? 'Please wait…' : 'Continue'}
        </button>
        <button type="button" className="secondary" onClick={() => setRecovery(!recovery)}>
          {recovery ? 'Use the code from your app instead' : 'Use a recovery code instead'}
        </button>
      </div>
    </form>
  );
}
