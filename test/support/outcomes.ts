/** Test helpers for domain calls: what an attempt came to, as a code, and an owner for a new token family. */
import { AuthError } from '../../lib/auth/errors';

/** "ok", the AuthError's code, or "unexpected: ..." for anything else: one comparable value per attempt. */
export const codeOf = (promise: Promise<unknown>): Promise<string> =>
  promise.then(
    () => 'ok',
    (error: unknown) => (error instanceof AuthError ? error.code : `unexpected: ${String(error)}`),
  );

/** A fresh owner for a token family (a user id no other test uses). */
export const owner = () => ({ userId: `u-${crypto.randomUUID()}`, provider: 'credentials' });
