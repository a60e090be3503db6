'use server';
/**
 * @module The account page's second-factor and passkey actions. Each acts for the signed-in session; the
 * sensitive ones answer `stepUp` when a fresh second factor is needed, and the form asks for it and retries.
 */
import { revalidatePath } from 'next/cache';
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from 'simplewebauthn-server';
import {
  authenticationResponseField,
  passkeyRenameInput,
  recoveryCodeField,
  registrationResponseField,
  totpCodeField,
} from '@/lib/mfa/input';
import { getAppServices } from '@/lib/services/app-services';
import { currentSession } from '../../_lib/current-session';
import { attempt, clientContext, field, type FormState } from '../../_lib/forms';

/** A security form's state: FormState plus recovery codes to show once. */
export type SecurityFormState = FormState & { recoveryCodes?: string[] };

const caller = async () => {
  const session = await currentSession();
  return { userId: session.user.id, sessionId: session.sessionId };
};

const parseJson = (text: unknown): unknown => {
  try {
    return JSON.parse(String(text));
  } catch {
    return null;
  }
};

/** Registration options for a new passkey. */
export async function passkeyRegistrationOptionsAction() {
  const { userId } = await caller();
  return (await getAppServices()).passkeys.registrationOptions(userId, await clientContext());
}

/** Stores a new passkey from the browser's registration response (JSON text). */
export async function addPasskeyAction(response: string, name: string): Promise<FormState> {
  const who = await caller();
  const parsed = registrationResponseField.safeParse(parseJson(response));
  if (!parsed.success) return { error: 'The browser sent no usable passkey.' };
  const context = await clientContext();
  const result = await attempt(
    async () =>
      (await getAppServices()).passkeys.register(who, parsed.data as unknown as RegistrationResponseJSON, name, context),
    { passkey_rejected: true, rate_limited: true },
  );
  if ('state' in result) return result.state;
  revalidatePath('/account');
  return { done: `Passkey "${result.value.name}" added.` };
}

/** Renames a passkey. */
export async function renamePasskeyAction(_prev: FormState, form: FormData): Promise<FormState> {
  const { userId } = await caller();
  const input = passkeyRenameInput.safeParse({ name: field(form, 'name') ?? '' });
  if (!input.success) return { error: 'Give the passkey a name (up to 100 characters).' };
  await (await getAppServices()).passkeys.rename(userId, field(form, 'id') ?? '', input.data.name);
  revalidatePath('/account');
  return { done: 'Renamed.' };
}

/** Removes a passkey (step-up). */
export async function removePasskeyAction(_prev: FormState, form: FormData): Promise<FormState> {
  const who = await caller();
  const context = await clientContext();
  const result = await attempt(async () => (await getAppServices()).passkeys.remove(who, field(form, 'id') ?? '', context), {});
  if ('state' in result) return result.state;
  revalidatePath('/account');
  return { done: result.value ? 'Passkey removed.' : 'That passkey was already removed.' };
}

/** Starts TOTP enrolment: the QR code and the secret, shown to this user only. */
export async function beginTotpAction(): Promise<{ secret?: string; qrSvg?: string; error?: string }> {
  const { userId } = await caller();
  const result = await attempt(async () => (await getAppServices()).mfa.beginTotp(userId), { totp_already_enabled: true });
  if ('state' in result) return { error: result.state.error };
  return { secret: result.value.secret, qrSvg: result.value.qrSvg };
}

/** Confirms enrolment with the first code; answers the recovery codes, shown once. */
export async function confirmTotpAction(_prev: SecurityFormState, form: FormData): Promise<SecurityFormState> {
  const who = await caller();
  const code = totpCodeField.safeParse(field(form, 'code') ?? '');
  if (!code.success) return { error: 'Enter the 6 digits your app shows.' };
  const context = await clientContext();
  const result = await attempt(async () => (await getAppServices()).mfa.confirmTotp(who, code.data, context), {
    invalid_mfa_code: true,
    totp_already_enabled: true,
    totp_not_enabled: true,
    rate_limited: true,
  });
  if ('state' in result) return result.state;
  // No revalidation: the page would swap this form for the "on" controls and lose the codes shown once.
  return { done: 'Two-step verification is on.', recoveryCodes: result.value.recoveryCodes };
}

/** Turns TOTP off (step-up). */
export async function disableTotpAction(_prev: SecurityFormState): Promise<SecurityFormState> {
  const who = await caller();
  const context = await clientContext();
  const result = await attempt(async () => (await getAppServices()).mfa.disableTotp(who, context), { totp_not_enabled: true });
  if ('state' in result) return result.state;
  revalidatePath('/account');
  return { done: 'Two-step verification is off.' };
}

/** New recovery codes (step-up), shown once. */
export async function regenerateRecoveryCodesAction(_prev: SecurityFormState): Promise<SecurityFormState> {
  const who = await caller();
  const context = await clientContext();
  const result = await attempt(async () => (await getAppServices()).mfa.regenerateRecoveryCodes(who, context), {
    totp_not_enabled: true,
  });
  if ('state' in result) return result.state;
  revalidatePath('/account');
  return { done: 'New recovery codes; the old ones no longer work.', recoveryCodes: result.value.recoveryCodes };
}

/** Step-up with a TOTP or recovery code. */
export async function stepUpWithCodeAction(code: string): Promise<{ error?: string }> {
  const who = await caller();
  const totp = totpCodeField.safeParse(code);
  const recovery = recoveryCodeField.safeParse(code);
  if (!totp.success && !recovery.success) return { error: 'Enter the 6 digits your app shows, or a recovery code.' };
  const proof = totp.success ? { code: totp.data } : { recoveryCode: code };
  const context = await clientContext();
  const result = await attempt(async () => (await getAppServices()).mfa.stepUp(who, proof, context), {
    invalid_mfa_code: true,
    rate_limited: true,
  });
  return 'state' in result ? { error: result.state.error } : {};
}

/** Step-up options for the caller's passkeys. */
export async function stepUpPasskeyOptionsAction() {
  const { userId } = await caller();
  return (await getAppServices()).passkeys.stepUpOptions(userId, await clientContext());
}

/** Step-up with one of the caller's passkeys (the assertion as JSON text). */
export async function stepUpWithPasskeyAction(response: string): Promise<{ error?: string }> {
  const who = await caller();
  const parsed = authenticationResponseField.safeParse(parseJson(response));
  if (!parsed.success) return { error: 'The browser sent no usable passkey.' };
  const context = await clientContext();
  const result = await attempt(
    async () => (await getAppServices()).passkeys.stepUp(who, parsed.data as unknown as AuthenticationResponseJSON, context),
    { passkey_rejected: true, rate_limited: true },
  );
  return 'state' in result ? { error: result.state.error } : {};
}
