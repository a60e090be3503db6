'use client';
import { createContext, useActionState, useContext, useRef, useState, useTransition, type ReactNode } from 'react';
import { startAuthentication } from 'simplewebauthn-browser';
import { stepUpPasskeyOptionsAction, type SecurityFormState, stepUpWithCodeAction, stepUpWithPasskeyAction } from './actions';

/** Which second factors the signed-in user has, for the step-up prompt. */
const Factors = createContext({ totp: false, passkeys: false });

/** Gives the forms of the account page the user's second factors. */
export function SecondFactorsProvider({ totp, passkeys, children }: { totp: boolean; passkeys: boolean; children: ReactNode }) {
  return <Factors.Provider value={{ totp, passkeys }}>{children}</Factors.Provider>;
}

/** "Confirm it's you": a passkey, or a code from the app (or a recovery code); then `onConfirmed`. */
export function StepUpPrompt({ onConfirmed }: { onConfirmed: () => void }) {
  const factors = useContext(Factors);
  const [error, setError] = useState<string>();
  const [pending, startTransition] = useTransition();
  const done = (result: { error?: string }) => (result.error ? setError(result.error) : onConfirmed());
  return (
    <div className="step-up" data-testid="step-up" role="group" aria-label="Confirm it's you">
      <strong>Confirm it&apos;s you</strong>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {factors.passkeys && (
        <button
          type="button"
          disabled={pending}
          onClick={() =>
            startTransition(async () => {
              try {
                const response = await startAuthentication({ optionsJSON: await stepUpPasskeyOptionsAction() });
                done(await stepUpWithPasskeyAction(JSON.stringify(response)));
              } catch {
                setError('No passkey was used.');
              }
            })
          }
        >
          Use a passkey
        </button>
      )}
      {factors.totp && (
        <form
          action={(form) => startTransition(async () => done(await stepUpWithCodeAction(String(form.get('code') ?? ''))))}
          data-testid="step-up-code"
        >
          <label>
            Code from your authenticator app, or a recovery code
            <input name="code" autoComplete="one-time-code" required maxLength={40} />
          </label>
          <button type="submit" disabled={pending}>
            Confirm
          </button>
        </form>
      )}
    </div>
  );
}

/**
 * useActionState for a sensitive action: remembers the submitted form, and when the action answers `stepUp`
 * shows the prompt, then submits the same form again. Returns the state, the form action, pending, the prompt.
 */
export function useStepUpAction(
  action: (prev: SecurityFormState, form: FormData) => Promise<SecurityFormState>,
  initial: SecurityFormState = {},
) {
  const last = useRef<FormData>(new FormData());
  const [state, formAction, pending] = useActionState<SecurityFormState, FormData>(async (prev, form) => {
    last.current = form;
    return action(prev, form);
  }, initial);
  const [, startTransition] = useTransition();
  const prompt = state.stepUp ? <StepUpPrompt onConfirmed={() => startTransition(() => formAction(last.current))} /> : null;
  return [state, formAction, pending, prompt] as const;
}
