/** @module The half-signed-in answer: the password (or provider) was right, a second factor must follow. */
import { AuthError } from '../auth/errors';

/** The second factors a half-signed-in state accepts. */
export type SecondFactorMethod = 'totp' | 'recovery_code';

/** Thrown by a first-factor sign-in of an account with TOTP on; carries the single-use, short-lived token. */
export class MfaRequiredError extends AuthError {
  override name = 'MfaRequiredError';
  constructor(
    readonly mfaToken: string,
    readonly expiresAt: number,
    readonly methods: SecondFactorMethod[],
  ) {
    super('mfa_required', 'Enter the code from your authenticator app, or a recovery code.');
  }
}
