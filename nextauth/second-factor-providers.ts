/**
 * @module NextAuth providers of the second steps: "second-factor" completes a half-signed-in sign-in with a
 * TOTP or recovery code, "passkey" signs in with a WebAuthn assertion. Both hand the backend's session to
 * the jwt callback like the password provider; refusals carry our codes to the pages.
 */
import { CredentialsSignin } from 'next-auth';
import Credentials from 'next-auth/providers/credentials';
import { AuthError, isDependencyError } from '../lib/auth/errors';
import type { RequestContext } from '../lib/tokens/rotation';
import { authenticationResponseField, mfaTokenField, recoveryCodeField, totpCodeField } from '../lib/mfa/input';
import { getAppServices } from '../lib/services/app-services';
import type { SessionTokens } from '../lib/auth/session-tokens';
import type { AuthenticationResponseJSON } from 'simplewebauthn-server';

/** A refusal of a second step, with our code (and when to retry, for a rate limit). */
export class SecondStepRefused extends CredentialsSignin {
  /** The code the page maps to its message. */
  constructor(
    override code: string,
    readonly retryAfterSeconds?: number,
  ) {
    super();
  }
}

const asUser = (session: SessionTokens) => ({
  id: session.user!.id,
  email: session.user!.email,
  name: session.user!.name,
  image: session.user!.image,
  backend: session,
});

/** Maps what the backend threw to a refusal the page understands. */
function refusal(error: unknown): never {
  if (error instanceof AuthError) throw new SecondStepRefused(error.code, error.details?.retryAfterSeconds);
  if (isDependencyError(error)) throw new SecondStepRefused('service_unavailable');
  throw error;
}

/** The two providers, over a function that gives the browser's IP and user agent. */
export function secondStepProviders(contextOf: (headers: Headers) => RequestContext) {
  return [
    Credentials({
      id: 'second-factor',
      credentials: { mfaToken: {}, code: {}, recoveryCode: {} },
      async authorize(credentials, request) {
        const token = mfaTokenField.safeParse(credentials.mfaToken);
        if (!token.success) throw new SecondStepRefused('invalid_mfa_token');
        const code = totpCodeField.safeParse(credentials.code);
        const recovery = recoveryCodeField.safeParse(credentials.recoveryCode);
        const proof = code.success ? { code: code.data } : recovery.success ? { recoveryCode: recovery.data } : null;
        if (!proof) throw new SecondStepRefused('invalid_request');
        try {
          const { mfa } = await getAppServices();
          return asUser(await mfa.completeSignIn(token.data, proof, contextOf(request.headers)));
        } catch (error) {
          return refusal(error);
        }
      },
    }),
    Credentials({
      id: 'passkey',
      credentials: { response: {} },
      async authorize(credentials, request) {
        let parsed: unknown;
        try {
          parsed = JSON.parse(String(credentials.response ?? ''));
        } catch {
          throw new SecondStepRefused('invalid_request');
        }
        const response = authenticationResponseField.safeParse(parsed);
        if (!response.success) throw new SecondStepRefused('invalid_request');
        try {
          const { passkeys } = await getAppServices();
          const session = await passkeys.signIn(
            response.data as unknown as AuthenticationResponseJSON,
            contextOf(request.headers),
          );
          return asUser(session);
        } catch (error) {
          return refusal(error);
        }
      },
    }),
  ];
}
