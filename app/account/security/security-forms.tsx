'use client';
import { useActionState, useState, useTransition } from 'react';
import { startRegistration } from 'simplewebauthn-browser';
import type { FormState } from '../../_lib/forms';
import { Field, FormMessages, useKeptForm } from '../../_components/form-parts';
import { useStepUpForm } from '../../_components/step-up';
import {
  addPasskeyAction,
  beginTotpAction,
  confirmTotpAction,
  disableTotpAction,
  passkeyRegistrationOptionsAction,
  regenerateRecoveryCodesAction,
  removePasskeyAction,
  renamePasskeyAction,
  type SecurityFormState,
} from './actions';

/** Recovery codes, shown once: the person is told to keep them. */
function RecoveryCodes({ codes }: { codes: string[] }) {
  return (
    <div className="notice" data-testid="recovery-codes">
      <p style={{ margin: 0 }}>
        Keep these recovery codes somewhere safe. Each works once, if you lose your authenticator app. They are not shown again.
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
            setState({ error: 'No passkey was created: it was cancelled, or this device already has one for this account.' });
          }
        })
      }
    >
      <FormMessages error={state.error} done={state.done} />
      <Field
        name="name"
        label="Name for the new passkey"
        help="So you can tell your passkeys apart, e.g. the device it is on."
        maxLength={60}
        placeholder="Laptop"
      />
      <div>
        <button type="submit" disabled={pending}>
          {pending ? 'Waiting for your device…' : 'Add a passkey'}
        </button>
      </div>
    </form>
  );
}

/** Renames one passkey. */
export function RenamePasskey({ id, name }: { id: string; name: string }) {
  const { state, formAction, pending, onSubmit } = useKeptForm(renamePasskeyAction);
  return (
    <form action={formAction} onSubmit={onSubmit} data-testid="rename-passkey" noValidate>
      <FormMessages error={state.error} />
      <input type="hidden" name="id" value={id} />
      <Field name="name" label="Name" defaultValue={name} maxLength={100} required />
      <div>
        <button type="submit" className="secondary" disabled={pending}>
          Rename
        </button>
      </div>
    </form>
  );
}

/** Removes one passkey, after a fresh second factor if needed. */
export function RemovePasskey({ id }: { id: string }) {
  const { state, formAction, pending, onSubmit, prompt } = useStepUpForm(removePasskeyAction);
  return (
    <form action={formAction} onSubmit={onSubmit} data-testid="remove-passkey">
      <FormMessages error={state.error} done={state.done} />
      {prompt}
      <input type="hidden" name="id" value={id} />
      <div>
        <button type="submit" className="danger" disabled={pending}>
          Remove
        </button>
      </div>
    </form>
  );
}

/** Sets up TOTP: QR code and key, confirmed with a first code; then the recovery codes. */
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
      <p>Scan this code with your authenticator app, or type the key in, then enter the code it shows.</p>
      {/* An SVG rendered on the server from the otpauth:// URI (qrcode); it contains no script. */}
      <div
        className="qr"
        role="img"
        aria-label="QR code for your authenticator app"
        dangerouslySetInnerHTML={{ __html: enrolment.qrSvg ?? '' }}
      />
      <p>
        Key: <code data-testid="totp-secret">{enrolment.secret}</code>
      </p>
      <form action={formAction} data-testid="totp-confirm">
        <FormMessages error={state.error} />
        <Field name="code" label="Code from the app" inputMode="numeric" autoComplete="one-time-code" required maxLength={20} />
        <div>
          <button type="submit" disabled={confirming}>
            Turn on
          </button>
        </div>
      </form>
    </div>
  );
}

/** Turns TOTP off, after a fresh second factor. */
export function DisableTotp() {
  const { state, formAction, pending, onSubmit, prompt } = useStepUpForm(disableTotpAction);
  return (
    <form action={formAction} onSubmit={onSubmit} data-testid="disable-totp">
      <FormMessages error={state.error} done={state.done} />
      {prompt}
      <div>
        <button type="submit" className="danger" disabled={pending}>
          Turn off two-step verification
        </button>
      </div>
    </form>
  );
}

/** New recovery codes, after a fresh second factor; shown once. */
export function RegenerateRecoveryCodes() {
  const { state, formAction, pending, onSubmit, prompt } = useStepUpForm(regenerateRecoveryCodesAction);
  const codes = (state as SecurityFormState).recoveryCodes;
  return (
    <form action={formAction} onSubmit={onSubmit} data-testid="regenerate-recovery-codes">
      <FormMessages error={state.error} done={state.done} />
      {prompt}
      {codes && <RecoveryCodes codes={codes} />}
      <div>
        <button type="submit" className="secondary" disabled={pending}>
          Make new recovery codes
        </button>
      </div>
    </form>
  );
}
