'use client';
import { useActionState, useState } from 'react';
import type { FormState } from '../../_lib/forms';
import { FormMessages } from '../../_components/form-parts';
import { secondFactorAction } from './actions';

/** The code from the authenticator app, or (switchable) a recovery code. */
export function SecondFactorForm({ callbackUrl }: { callbackUrl: string }) {
  const [state, formAction, pending] = useActionState<FormState, FormData>(secondFactorAction, {});
  const [recovery, setRecovery] = useState(false);
  return (
    <form action={formAction} data-testid="second-factor-form">
      <FormMessages error={state.error} />
      <input type="hidden" name="method" value={recovery ? 'recovery' : 'totp'} />
      <input type="hidden" name="callbackUrl" value={callbackUrl} />
      {recovery ? (
        <label>
          Recovery code
          <input key="recovery" name="code" autoComplete="off" required maxLength={40} />
        </label>
      ) : (
        <label>
          Code from your authenticator app
          <input key="totp" name="code" inputMode="numeric" autoComplete="one-time-code" required maxLength={20} />
        </label>
      )}
      <button type="submit" disabled={pending}>
        {pending ? 'Please wait…' : 'Continue'}
      </button>
      <button type="button" className="link" onClick={() => setRecovery(!recovery)}>
        {recovery ? 'Use the code from your app instead' : 'Use a recovery code instead'}
      </button>
    </form>
  );
}
