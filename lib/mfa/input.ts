/** @module Input shapes of the second-factor and passkey use cases, shared by the API and the pages; unknown fields are refused. */
import { z } from 'zod';

/** A TOTP code as typed: 6 digits, spaces allowed. */
export const totpCodeField = z
  .string()
  .max(20, 'code must be at most 20 characters')
  .refine((v) => /^\d{6}$/.test(v.replace(/\s/g, '')), 'code must be the 6 digits your authenticator app shows');

/** A recovery code as typed: 10 letters and digits, dashes and spaces allowed. */
export const recoveryCodeField = z
  .string()
  .max(40, 'recovery_code must be at most 40 characters')
  .refine(
    (v) => /^[0-9a-z]{10}$/.test(v.toLowerCase().replace(/[\s-]/g, '')),
    'recovery_code must be one of your 10-character recovery codes',
  );

/** A half-signed-in token, as POST /auth/signin handed it out. */
export const mfaTokenField = z.string().regex(/^mfa1\.[A-Za-z0-9_-]{43}$/, 'mfa_token is not one this server issued');

/** Confirming TOTP enrolment. */
export const totpConfirmInput = z.strictObject({ code: totpCodeField });

/** A second factor: a TOTP code or a recovery code, exactly one. */
export const secondFactorInput = z.union([
  z.strictObject({ code: totpCodeField }),
  z.strictObject({ recovery_code: recoveryCodeField }),
]);

/** The second sign-in step: the half-signed-in token and a TOTP code or a recovery code. */
export const mfaVerifyInput = z.union([
  z.strictObject({ mfa_token: mfaTokenField, code: totpCodeField }),
  z.strictObject({ mfa_token: mfaTokenField, recovery_code: recoveryCodeField }),
]);

const base64url = (max: number) =>
  z
    .string()
    .max(max)
    .regex(/^[A-Za-z0-9_-]*$/, 'must be base64url');

/** A WebAuthn registration response (the browser's PublicKeyCredential.toJSON()). */
export const registrationResponseField = z.looseObject({
  id: base64url(1400).min(1),
  rawId: base64url(1400).min(1),
  type: z.literal('public-key'),
  response: z.looseObject({
    clientDataJSON: base64url(4096).min(1),
    attestationObject: base64url(10240).min(1),
    transports: z.array(z.string().max(32)).max(10).optional(),
  }),
  clientExtensionResults: z.record(z.string(), z.unknown()).default({}),
  authenticatorAttachment: z.enum(['platform', 'cross-platform']).optional(),
});

/** A WebAuthn authentication response. */
export const authenticationResponseField = z.looseObject({
  id: base64url(1400).min(1),
  rawId: base64url(1400).min(1),
  type: z.literal('public-key'),
  response: z.looseObject({
    clientDataJSON: base64url(4096).min(1),
    authenticatorData: base64url(4096).min(1),
    signature: base64url(1024).min(1),
    userHandle: base64url(512).optional(),
  }),
  clientExtensionResults: z.record(z.string(), z.unknown()).default({}),
  authenticatorAttachment: z.enum(['platform', 'cross-platform']).optional(),
});

/** Registering a passkey: the browser's response and an optional name. */
export const passkeyRegistrationInput = z.strictObject({
  response: registrationResponseField,
  name: z.string().max(100, 'name must be at most 100 characters').optional(),
});

/** Signing in or stepping up with a passkey. */
export const passkeyAssertionInput = z.strictObject({ response: authenticationResponseField });

/** Renaming a passkey. */
export const passkeyRenameInput = z.strictObject({
  name: z.string().trim().min(1, 'name is required').max(100, 'name must be at most 100 characters'),
});

/** The proof of a second-factor input, as the services take it. */
export const proofOf = (input: { code: string } | { recovery_code: string }) =>
  'code' in input ? { code: input.code } : { recoveryCode: input.recovery_code };
