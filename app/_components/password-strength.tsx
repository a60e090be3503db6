'use client';
/** The strength hint shown while a new password is typed; the list of common passwords loads on the first keystroke. */
import { useEffect, useState } from 'react';
import type { PasswordContext, PasswordStrength } from '@/lib/passwords/policy';

type Estimate = (password: string, context?: PasswordContext) => PasswordStrength;

/** Strength of `password` as a meter and a word, with advice; nothing while the field is empty. */
export function PasswordStrengthHint({ password, context }: { password: string; context?: PasswordContext }) {
  const [estimate, setEstimate] = useState<Estimate | null>(null);
  useEffect(() => {
    // A separate chunk (the 5,000 common passwords), fetched only once someone starts typing.
    if (password && !estimate) void import('@/lib/passwords/policy').then((m) => setEstimate(() => m.passwordStrength));
  }, [password, estimate]);
  if (!password || !estimate) return <p className="strength" aria-live="polite" data-testid="password-strength" />;
  const strength = estimate(password, context);
  return (
    <p className="strength" aria-live="polite" data-testid="password-strength" data-score={strength.score}>
      <meter min={0} max={4} low={2} high={3} optimum={4} value={strength.score} aria-label="Password strength" />
      <span>
        <strong>{strength.label}.</strong> {strength.advice}
      </span>
    </p>
  );
}
