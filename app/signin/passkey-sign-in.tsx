'use client';
import { useEffect, useState, useTransition } from 'react';
import { browserSupportsWebAuthn, browserSupportsWebAuthnAutofill, startAuthentication } from 'simplewebauthn-browser';
import { passkeySignInAction, passkeySignInOptionsAction } from './passkey-actions';

/**
 * Passkey sign-in: a button, and autofill (conditional mediation) on the email field, which carries
 * `autocomplete="username webauthn"`. Autofill waits in the background; the button aborts it and asks at once.
 */
export function PasskeySignIn({ callbackUrl }: { callbackUrl: string }) {
  const [error, setError] = useState<string>();
  const [pending, startTransition] = useTransition();
  const [supported, setSupported] = useState(false);

  const finish = async (useBrowserAutofill: boolean) => {
    const optionsJSON = await passkeySignInOptionsAction();
    const response = await startAuthentication({ optionsJSON, useBrowserAutofill });
    const result = await passkeySignInAction(JSON.stringify(response), callbackUrl);
    if (result.next) window.location.assign(result.next);
    else setError(result.error);
  };

  useEffect(() => {
    setSupported(browserSupportsWebAuthn());
    let active = true;
    void browserSupportsWebAuthnAutofill().then((autofill) => {
      if (!autofill || !active) return;
      // Aborted when the button starts its own ceremony, or when the page goes: nothing to report then.
      finish(true).catch(() => undefined);
    });
    return () => {
      active = false;
    };
    // Once per page: the callback URL does not change while it is open.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  if (!supported) return null;
  return (
    <div className="or" data-testid="passkey-sign-in">
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <button
        type="button"
        className="secondary"
        disabled={pending}
        onClick={() =>
          startTransition(async () => {
            setError(undefined);
            try {
              await finish(false);
            } catch {
              setError('No passkey was used. Try again, or sign in with your password.');
            }
          })
        }
      >
        {pending ? 'Waiting for your passkey…' : 'Sign in with a passkey'}
      </button>
    </div>
  );
}
