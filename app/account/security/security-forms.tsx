'use client';
import { useActionState, useState, useTransition } from 'react';
import { startRegistration } from 'simplewebauthn-browser';
import type { FormState } from '../../_lib/forms';
import { FormMessages } from '../../_components/form-parts';
import {
  addPasskeyAction,
  beginTotpAction,
  confirmTotpAction,
  disableTotpAction,
  passkeyRegistrationOptionsAction,
  regenerateRecoveryCodesAction,
  removePasskeyAction,
  renamePasskeyAction,
  revokeOtherSessionsWithStepUpAction,
  type SecurityFormState,
} from './actions';
import { useStepUpAction } from './step-up';

/** Recovery codes, shown once: the user is told to keep them. */
function RecoveryCodes({ codes }: { codes: string[] }) {
  return (
    <div data-testid="recovery-codes">
      <p className="muted">
        Keep these recovery codes somewhere safe. Each works once, if you lose your authenticator app. They will not be shown
        again.
      </p>
      <ol>
        {codes.map((c) => (
          <li key={c}>
            <code>{c}</code>
          </li>
        ))}
      </ol>
    </div>
  );
}

/** Names and registers a new passkey on this device. */
export function AddPasskey() {
  const [state, setState] = useState<FormState>({});
  const [pending, startTransition] = useTransition();
  return (
    <form
      data-testid="add-passkey"
      action={(form) =>
        startTransition(async () => {
          try {
            const response = await startRegistration({ optionsJSON: await passkeyRegistrationOptionsAction() });
            setState(await addPasskeyAction(JSON.stringify(response), String(form.get('name') ?? '')));
          } catch {
            setState({ error: 'No passkey was created (cancelled, or this device already has one for this account).' });
          }
        })
      }
    >
      <FormMessages error={state.error} done={state.done} />
      <label>
        Name for the new passkey
        <input name="name" maxLength={60} placeholder="e.g. Laptop" />
      </label>
      <button type="submit" disabled={pending}>
        {pending ? 'Waiting for your device…' : 'Add a passkey'}
      </button>
    </form>
  );
}

/** Renames one passkey. */
export function RenamePasskey({ id, name }: { id: string; name: string }) {
  const [state, formAction, pending] = useActionState<FormState, FormData>(renamePasskeyAction, {});
  return (
    <form action={formAction} className="inline" data-testid="rename-passkey">
      <FormMessages error={state.error} />
      <input type="hidden" name="id" value={id} />
      <input name="name" defaultValue={name} aria-label="Passkey name" maxLength={100} required />
      <button type="submit" disabled={pending}>
        Rename
      </button>
    </form>
  );
}

/** Removes one passkey, after a fresh second factor if needed. */
export function RemovePasskey({ id }: { id: string }) {
  const [state, formAction, pending, prompt] = useStepUpAction(removePasskeyAction);
  return (
    <form action={formAction} data-testid="remove-passkey">
      <FormMessages error={state.error} done={state.done} />
      {prompt}
      <input type="hidden" name="id" value={id} />
      <button type="submit" disabled={pending}>
        Remove
      </button>
    </form>
  );
}

/** Sets up TOTP: QR code and secret, confirmed with a first code; then the recovery codes. */
export function TotpSetup() {
  const [enrolment, setEnrolment] = useState<{ secret?: string; qrSvg?: string; error?: string }>({});
  const [pending, startTransition] = useTransition();
  const [state, formAction, confirming] = useActionState<SecurityFormState, FormData>(confirmTotpAction, {});
  if (state.recoveryCodes) {
    return (
      <>
        <FormMessages done={state.done} />
        <RecoveryCodes codes={state.recoveryCodes} />
      </>
    );
  }
  if (!enrolment.secret) {
    return (
      <>
        <FormMessages error={enrolment.error} />
        <button
          type="button"
          disabled={pending}
          onClick={() => startTransition(async () => setEnrolment(await beginTotpAction()))}
        >
          Set up an authenticator app
        </button>
      </>
    );
  }
  return (
    <div data-testid="totp-setup">
      <p className="muted">Scan this code with your authenticator app, or type the key in, then enter the code it shows.</p>
      {/* An SVG rendered on the server from the otpauth:// URI (qrcode); it contains no script. */}
      <div className="qr" dangerouslySetInnerHTML={{ __html: enrolment.qrSvg ?? '' }} />
      <p>
        Key: <code data-testid="totp-secret">{enrolment.secret}</code>
      </p>
      <form action={formAction} data-testid="totp-confirm">
        <FormMessages error={state.error} />
        <label>
          Code from the app
          <input name="code" inputMode="numeric" autoComplete="one-time-code" required maxLength={20} />
        </label>
        <button type="submit" disabled={confirming}>
          Turn on
        </button>
      </form>
    </div>
  );
}

/** Signs out every other device, after a fresh second factor. */
export function SignOutOthers() {
  const [state, formAction, pending, prompt] = useStepUpAction(revokeOtherSessionsWithStepUpAction);
  return (
    <form action={formAction} data-testid="sign-out-others">
      <FormMessages error={state.error} done={state.done} />
      {prompt}
      <button type="submit" disabled={pending}>
        Sign out all other devices
      </button>
    </form>
  );
}

/** Turns TOTP off, after a fresh second factor. */
export function DisableTotp() {
  const [state, formAction, pending, prompt] = useStepUpAction(disableTotpAction);
  return (
    <form action={formAction} data-testid="disable-totp">
      <FormMessages error={state.error} done={state.done} />
      {prompt}
      <button type="submit" disabled={pending}>
        Turn off two-step verification
      </button>
    </form>
  );
}

/** New recovery codes, after a fresh second factor; shown once. */
export function RegenerateRecoveryCodes() {
  const [state, formAction, pending, prompt] = useStepUpAction(regenerateRecoveryCodesAction);
  return (
    <form action={formAction} data-testid="regenerate-recovery-codes">
      <FormMessages error={state.error} done={state.done} />
      {prompt}
      {state.recoveryCodes && <RecoveryCodes codes={state.recoveryCodes} />}
      <button type="submit" disabled={pending}>
        Make new recovery codes
      </button>
    </form>
  );
}
