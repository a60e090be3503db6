'use client';
/** Pieces every form of the app shares: its error and status lines, a labelled field with its error, the new-password pair. */
import {
  startTransition,
  useActionState,
  useId,
  useState,
  type FormEvent,
  type InputHTMLAttributes,
  type ReactNode,
} from 'react';
import type { FormState } from '../_lib/forms';
import { PasswordStrengthHint } from './password-strength';

/** The form's error (role=alert) and success (role=status) lines, when there are any. */
export function FormMessages({ error, done }: { error?: string | undefined; done?: ReactNode }) {
  return (
    <>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {done && (
        <p className="success" role="status">
          {done}
        </p>
      )}
    </>
  );
}

/**
 * useActionState, plus a submit handler that runs the action without React's reset of the form, so what the
 * person typed stays after a refusal. Without JavaScript the form still posts to the action.
 */
export function useKeptForm(action: (prev: FormState, form: FormData) => Promise<FormState>, initial: FormState = {}) {
  const [state, formAction, pending] = useActionState(action, initial);
  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const data = new FormData(event.currentTarget, (event.nativeEvent as SubmitEvent).submitter);
    startTransition(() => formAction(data));
  };
  return { state, formAction, pending, onSubmit };
}

type InputProps = Omit<InputHTMLAttributes<HTMLInputElement>, 'id' | 'name'>;

/** A labelled input with its help text and its error beside it (aria-describedby, aria-invalid). */
export function Field({
  name,
  label,
  error,
  help,
  children,
  ...input
}: InputProps & { name: string; label: string; error?: string | undefined; help?: string; children?: ReactNode }) {
  const id = useId();
  const described = [help && `${id}-help`, error && `${id}-error`].filter(Boolean).join(' ') || undefined;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {help && (
        <p id={`${id}-help`} className="help">
          {help}
        </p>
      )}
      <input id={id} name={name} aria-invalid={error ? true : undefined} aria-describedby={described} {...input} />
      {error && (
        <p id={`${id}-error`} className="field-error" role="alert">
          {error}
        </p>
      )}
      {children}
    </div>
  );
}

/** The email field every email form shows: its sentence beside it, what was typed kept. */
export function EmailField(props: InputProps & { error?: string | undefined }) {
  return <Field name="email" label="Email" type="email" autoComplete="email" required {...props} />;
}

/** A new password with a strength hint while typing, and its repetition (`new_password`, `confirm_password`). */
export function NewPasswordFields({ errors = {} }: { errors?: Record<string, string> | undefined }) {
  const [password, setPassword] = useState('');
  return (
    <>
      <Field
        name="new_password"
        label="New password"
        type="password"
        autoComplete="new-password"
        required
        maxLength={256}
        help="At least 8 characters. A few unrelated words make a strong password."
        error={errors.new_password}
        onChange={(e) => setPassword(e.currentTarget.value)}
      >
        <PasswordStrengthHint password={password} />
      </Field>
      <Field
        name="confirm_password"
        label="New password again"
        type="password"
        autoComplete="new-password"
        required
        maxLength={256}
        error={errors.confirm_password}
      />
    </>
  );
}
