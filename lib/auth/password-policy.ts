/** @module The password policy as the use cases apply it: a refused new password is an AuthError with a code of its own. */
import { PASSWORD_PROBLEM_MESSAGES, passwordProblem, samePassword, type PasswordContext } from '../passwords/policy';
import { AuthError } from './errors';

/** Throws `weak_password` (with a sentence that says why) unless `password` may be chosen for this account. */
export function assertNewPassword(password: string, context: PasswordContext = {}): void {
  const problem = passwordProblem(password, context);
  if (problem) throw new AuthError('weak_password', PASSWORD_PROBLEM_MESSAGES[problem]);
}

/** Throws `password_unchanged` when a change would keep the current password (already verified by the caller). */
export function assertChanged(currentPassword: string, newPassword: string): void {
  if (samePassword(currentPassword, newPassword)) {
    throw new AuthError('password_unchanged', 'The new password is the same as the current one. Choose a different one.');
  }
}
