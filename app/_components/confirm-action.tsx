'use client';
import { useState, type ReactNode } from 'react';
import type { FormState } from '../_lib/forms';
import { FormMessages } from './form-parts';
import { useStepUpForm } from './step-up';

/**
 * A destructive action in two steps: a button, then a question with "yes" and "cancel"; afterwards, what was
 * done (role=status). `hidden` fields ride along with the confirmation.
 */
export function ConfirmAction({
  action,
  label,
  question,
  confirmLabel,
  hidden = {},
  disabledReason,
  testId,
}: {
  action: (prev: FormState, form: FormData) => Promise<FormState>;
  label: string;
  question: ReactNode;
  confirmLabel: string;
  hidden?: Record<string, string>;
  /** Shown instead of the button when there is nothing to do (e.g. no other device to sign out). */
  disabledReason?: string | undefined;
  testId?: string;
}) {
  const [asking, setAsking] = useState(false);
  // Sensitive actions (signing out the other devices) may ask for a fresh second factor, then go on.
  const { state, formAction, pending, onSubmit, prompt } = useStepUpForm(action);
  if (state.done) return <FormMessages done={state.done} />;
  if (disabledReason) {
    return (
      <p className="muted" data-testid={testId}>
        {disabledReason}
      </p>
    );
  }
  if (!asking) {
    return (
      <div data-testid={testId}>
        <FormMessages error={state.error} />
        <button type="button" className="secondary" onClick={() => setAsking(true)}>
          {label}
        </button>
      </div>
    );
  }
  return (
    <form action={formAction} onSubmit={onSubmit} className="notice" data-testid={testId}>
      <FormMessages error={state.error} />
      {prompt}
      <p style={{ margin: 0 }}>{question}</p>
      {Object.entries(hidden).map(([name, value]) => (
        <input key={name} type="hidden" name={name} value={value} />
      ))}
      <div className="actions" style={{ margin: 0 }}>
        <button type="submit" className="danger" disabled={pending}>
          {pending ? 'Please wait…' : confirmLabel}
        </button>
        <button type="button" className="secondary" onClick={() => setAsking(false)}>
          Cancel
        </button>
      </div>
    </form>
  );
}
