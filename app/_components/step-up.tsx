'use client';
import {
  createContext,
  startTransition,
  useContext,
  useRef,
  useState,
  useTransition,
  type FormEvent,
  type ReactNode,
} from 'react';
import { startAuthentication } from 'simplewebauthn-browser';
import type { FormState } from '../_lib/forms';
import { stepUpPasskeyOptionsAction, stepUpWithCodeAction, stepUpWithPasskeyAction } from '../account/security/actions';
import { Field, FormMessages, useKeptForm } from './form-parts';

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
  const [pending, startStep] = useTransition();
  const done = (result: { error?: string | undefined }) => (result.error ? setError(result.error) : onConfirmed());
  return (
    <div className="notice" data-testid="step-up" role="group" aria-label="Confirm it's you">
      <p style={{ margin: 0 }}>
        <strong>Confirm it&apos;s you</strong> with your {factors.passkeys ? 'passkey' : ''}
        {factors.passkeys && factors.totp ? ' or ' : ''}
        {factors.totp ? 'authenticator app' : ''}, and we go on.
      </p>
      <FormMessages error={error} />
      {factors.passkeys && (
        <div>
          <button
            type="button"
            disabled={pending}
            onClick={() =>
              startStep(async () => {
                try {
                  const response = await startAuthentication({ optionsJSON: await stepUpPasskeyOptionsAction() });
                  done(await stepUpWithPasskeyAction(JSON.stringify(response)));
                } catch {
                  setError('No passkey was used. Try again.');
                }
              })
            }
          >
            Use a passkey
          </button>
        </div>
      )}
      {factors.totp && (
        <div data-testid="step-up-code">
          <Field
            name="step_up_code"
            label="Code from your authenticator app, or a recovery code"
            autoComplete="one-time-code"
            maxLength={40}
          />
          <button
            type="button"
            className="secondary"
            disabled={pending}
            onClick={(event) => {
              const input = event.currentTarget.closest('[data-testid=step-up-code]')?.querySelector('input');
              startStep(async () => done(await stepUpWithCodeAction(input?.value ?? '')));
            }}
          >
            Confirm
          </button>
        </div>
      )}
    </div>
  );
}

/**
 * useKeptForm for a sensitive action: remembers what was sent, and when the action answers `stepUp` offers the
 * prompt (`prompt`, to render in the form), then sends the same data again once the factor was shown.
 */
export function useStepUpForm(action: (prev: FormState, form: FormData) => Promise<FormState>, initial: FormState = {}) {
  const kept = useKeptForm(action, initial);
  const last = useRef<FormData>(new FormData());
  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    last.current = new FormData(event.currentTarget, (event.nativeEvent as SubmitEvent).submitter);
    kept.onSubmit(event);
  };
  const prompt = kept.state.stepUp ? (
    <StepUpPrompt onConfirmed={() => startTransition(() => kept.formAction(last.current))} />
  ) : null;
  return { ...kept, onSubmit, prompt };
}
