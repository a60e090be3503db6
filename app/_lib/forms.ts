/**
 * @module What the pages' server actions share: the state a form shows, reading fields, the client context,
 * turning expected auth errors and bad input into sentences beside their fields, and the "new password twice" form.
 */
import { AuthError, isDependencyError, type AuthErrorCode } from '@/lib/auth/errors';
import { requestContext } from '@/lib/auth/request-context';
import { getConfig } from '@/lib/config/env';
import { MAX_PASSWORD_LENGTH } from '@/lib/passwords/hash';
import { MIN_PASSWORD_CHARACTERS } from '@/lib/passwords/policy';
import { headers } from 'next/headers';
import type { z } from 'zod';

/** What a form shows after a submit: what went wrong (overall or beside a field), or what was done. */
export interface FormState {
  error?: string;
  /** A sentence beside each field that was refused, by field name. */
  fields?: Record<string, string>;
  done?: string;
  /** The email the form was about (to fill in again, or to name in "check your email"). */
  email?: string;
  /** The password was right but the email is not confirmed yet: offer to send the link again. */
  unverified?: boolean;
  /** A confirmation link this account already used: the address is confirmed, sign in. */
  alreadyConfirmed?: boolean;
  /** The action needs a fresh second factor first (step_up_required): ask for it, then run the action again. */
  stepUp?: boolean;
  /** After an action that may have signed this browser out (a confirmed email change): whether it still is signed in. */
  signedIn?: boolean;
}

/** Client IP (under CLIENT_IP_SOURCE; Next.js sees no socket) and user agent, for rate limits and the device list. */
export const clientContext = async () => requestContext(await headers(), undefined, getConfig().clientIp);

/** A text field of the form, or undefined (missing, or a file). */
export const field = (form: FormData, name: string) => {
  const value = form.get(name);
  return typeof value === 'string' ? value : undefined;
};

/** What a form says when Redis or the database did not answer: the truth, and that nothing is lost. */
export const UNAVAILABLE =
  "We can't do this right now because of a problem on our side. Your account is fine; please try again in a minute.";

/** The sentence a person reads for a refused field, whatever the schema's developer-facing message said. */
function sentenceFor(name: string, issue: z.core.$ZodIssue): string {
  const tooBig = issue.code === 'too_big';
  switch (name) {
    case 'email':
      if (tooBig) return 'This email address is too long.';
      if (/deliverable/.test(issue.message)) return 'Enter an email address that can receive mail.';
      return 'Enter an email address like name@example.com.';
    case 'password':
    case 'new_password':
      if (tooBig) return `Use at most ${MAX_PASSWORD_LENGTH} characters.`;
      return `Use at least ${MIN_PASSWORD_CHARACTERS} characters.`;
    case 'current_password':
      return tooBig ? 'This is longer than any password here.' : 'Enter your current password.';
    case 'name':
      return 'Use at most 100 characters for the name.';
    default:
      return 'Check this field.';
  }
}

/** The first refusal of each field of a failed parse, as sentences by field name. */
export function fieldErrors(error: z.ZodError): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const issue of error.issues) {
    const name = String(issue.path[0] ?? '');
    fields[name] ??= sentenceFor(name, issue);
  }
  return fields;
}

/** How a form shows one expected error code: its own text or the error's message, overall or beside a field. */
type Shown = string | true | { field: string; text?: string };

/**
 * Runs a use case: its value, or, for an AuthError whose code `messages` names, the form state that shows
 * it; an outage says so ({@link UNAVAILABLE}). Anything else propagates.
 */
export async function attempt<T>(
  work: () => Promise<T>,
  messages: Partial<Record<AuthErrorCode, Shown>>,
): Promise<{ value: T } | { state: FormState }> {
  try {
    return { value: await work() };
  } catch (error) {
    if (isDependencyError(error)) return { state: { error: UNAVAILABLE } };
    // A sensitive action without a fresh second factor: the form asks for one, then runs the action again.
    if (error instanceof AuthError && error.code === 'step_up_required') {
      return { state: { error: error.message, stepUp: true } };
    }
    const shown = error instanceof AuthError ? messages[error.code] : undefined;
    if (shown === undefined) throw error;
    const message = (error as AuthError).message;
    if (typeof shown === 'object') return { state: { fields: { [shown.field]: shown.text ?? message } } };
    return { state: { error: shown === true ? message : shown } };
  }
}

/** Parses a form that chooses a new password twice (`new_password`, `confirm_password`): its input, or the state to show. */
export function parseNewPasswordForm<T extends { new_password: string }>(
  schema: z.ZodType<T>,
  values: Record<string, unknown>,
  form: FormData,
): { data: T } | { state: FormState } {
  const input = schema.safeParse(values);
  if (!input.success) {
    const fields = fieldErrors(input.error);
    if (fields.token) return { state: { error: 'This reset link is incomplete. Ask for a new one.' } };
    return { state: { fields } };
  }
  if (field(form, 'confirm_password') !== input.data.new_password) {
    return { state: { fields: { confirm_password: 'The two new passwords do not match. Type the same password twice.' } } };
  }
  return { data: input.data };
}
