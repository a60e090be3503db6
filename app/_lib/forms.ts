/**
 * @module What the pages' server actions share: the state a form shows, reading fields, the client context,
 * turning expected auth errors into form messages, and the "new password twice" form.
 */
import { AuthError, isDependencyError, type AuthErrorCode } from '@/lib/auth/errors';
import { firstIssue } from '@/lib/auth/input';
import { requestContext } from '@/lib/auth/request-context';
import { getConfig } from '@/lib/config/env';
import { headers } from 'next/headers';
import type { z } from 'zod';

/** What a form shows after a submit: what went wrong, or what was done; the email to fill in again. */
export interface FormState {
  error?: string;
  done?: string;
  email?: string;
  /** The password was right but the email is not confirmed yet: offer to send the link again. */
  unverified?: boolean;
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

/**
 * Runs a use case: its value, or, for an AuthError whose code `messages` names, the error the form shows
 * (`true`: the error's own message); an outage says so ({@link UNAVAILABLE}). Anything else propagates.
 */
export async function attempt<T>(
  work: () => Promise<T>,
  messages: Partial<Record<AuthErrorCode, string | true>>,
): Promise<{ value: T } | { error: string }> {
  try {
    return { value: await work() };
  } catch (error) {
    if (isDependencyError(error)) return { error: UNAVAILABLE };
    const shown = error instanceof AuthError ? messages[error.code] : undefined;
    if (shown === undefined) throw error;
    return { error: shown === true ? (error as AuthError).message : shown };
  }
}

/** Parses a form that chooses a new password twice (`new_password`, `confirm_password`): its input, or the error to show. */
export function parseNewPasswordForm<T extends { new_password: string }>(
  schema: z.ZodType<T>,
  values: Record<string, unknown>,
  form: FormData,
): { data: T } | { error: string } {
  const input = schema.safeParse(values);
  if (!input.success) {
    return {
      error: firstIssue(input.error)
        .replace(/^new_password: /, 'New ')
        .replace(/^token: .*/, 'This reset link is incomplete.'),
    };
  }
  if (field(form, 'confirm_password') !== input.data.new_password) return { error: 'The new passwords do not match.' };
  return { data: input.data };
}
