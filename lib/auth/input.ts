/** @module Input rules of the auth use cases (email, password policy, name), shared by the API and the pages. */
import { z } from 'zod';
import { AuthError } from './errors';
import { MAX_PASSWORD_LENGTH } from '../passwords/hash';
import { MIN_PASSWORD_CHARACTERS, passwordLength } from '../passwords/policy';
import { MAX_EMAIL_LENGTH, normalizeEmail } from '../users/email';

/** An email address, NFKC-normalised and trimmed before it is checked. */
export const emailField = z
  .string()
  .max(MAX_EMAIL_LENGTH, `email must be at most ${MAX_EMAIL_LENGTH} characters`)
  .transform((v) => v.normalize('NFKC').trim())
  .pipe(z.email('email must be a valid email address'));

/**
 * A password being chosen: its length, in characters after NFKC (NIST SP 800-63B). The rest of the policy
 * (common, repetitive or personal passwords: `weak_password`) is the use cases', which know the account.
 */
export const newPasswordField = z
  .string()
  .max(MAX_PASSWORD_LENGTH, `password must be at most ${MAX_PASSWORD_LENGTH} characters`)
  .refine(
    (password) => passwordLength(password) >= MIN_PASSWORD_CHARACTERS,
    `password must be at least ${MIN_PASSWORD_CHARACTERS} characters`,
  );

/** A password being presented: only bounded, so old passwords keep working if the policy changes. */
export const passwordField = z
  .string()
  .min(1, 'password is required')
  .max(MAX_PASSWORD_LENGTH, `password must be at most ${MAX_PASSWORD_LENGTH} characters`);

/** A display name. */
export const nameField = z.string().trim().max(100, 'name must be at most 100 characters');

/** An address an account may take: `.invalid` (RFC 2606) is kept for the stand-ins of OAuth users without an email. */
const deliverableEmailField = emailField.refine(
  (email) => !email.toLowerCase().endsWith('.invalid'),
  'email must be a deliverable address',
);

/** Sign-up input; unknown fields are refused. */
export const signUpInput = z.strictObject({
  email: deliverableEmailField,
  password: newPasswordField,
  name: nameField.optional(),
});

/**
 * Email-change input (API body and account form): the new address is only a string here, so that what is wrong
 * with it is the use case's `invalid_email` ({@link parseNewEmail}), not a generic bad request.
 */
export const changeEmailInput = z.strictObject({ new_email: z.string(), password: passwordField.optional() });

/** A new address for an account, normalised; throws `invalid_email` (with a sentence that says why) when it cannot be one. */
export function parseNewEmail(input: string): string {
  const parsed = deliverableEmailField.safeParse(input);
  if (parsed.success) return normalizeEmail(parsed.data);
  const issue = parsed.error.issues[0]!;
  throw new AuthError(
    'invalid_email',
    issue.code === 'too_big'
      ? 'This email address is too long.'
      : /deliverable/.test(issue.message)
        ? 'Use an email address that can receive mail.'
        : 'Enter a valid email address, like name@example.com.',
  );
}

/** Redeeming an email-change link: its token. */
export const emailChangeConfirmInput = z.strictObject({ token: z.string().min(1).max(100) });

/** Password-change input (API body and account form); unknown fields are refused. */
export const changePasswordInput = z.strictObject({ current_password: passwordField, new_password: newPasswordField });

/** Account-deletion input: the password, which accounts without one leave out. */
export const deleteAccountInput = z.strictObject({ password: passwordField.optional() });

/** A request for a password-reset link. */
export const passwordResetRequestInput = z.strictObject({ email: emailField });

/** Redeeming a reset link: its token and the new password. */
export const passwordResetConfirmInput = z.strictObject({ token: z.string().min(1).max(100), new_password: newPasswordField });

/** A request for a new email-verification link. */
export const emailVerificationRequestInput = z.strictObject({ email: emailField });

/** Redeeming an email-verification link: its token. */
export const emailVerificationConfirmInput = z.strictObject({ token: z.string().min(1).max(100) });

/** Sign-in input; unknown fields are refused. */
export const signInInput = z.strictObject({ email: emailField, password: passwordField });

/** The first problem of a failed parse, as one readable line ("password: must be at least 8 characters"). */
export function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0]!;
  const where = issue.path.length ? `${issue.path.join('.')}: ` : '';
  const message = issue.code === 'unrecognized_keys' ? `unknown field(s): ${issue.keys.join(', ')}` : issue.message;
  return `${where}${message}`;
}
