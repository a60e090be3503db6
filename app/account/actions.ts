'use server';
/** @module The account page's server actions: sign out, devices, password and email change, and account deletion. */
import { signOut } from '@/auth';
import { changeEmailInput, changePasswordInput, deleteAccountInput, parseNewEmail } from '@/lib/auth/input';
import { getAppServices } from '@/lib/services/app-services';
import { getTokenServices } from '@/lib/services/token-services';
import { deviceLabel } from '@/lib/tokens/device-label';
import { revalidatePath } from 'next/cache';
import { devicesSignedOut } from '../_components/devices';
import { afterAnswer } from '../_lib/after-answer';
import { currentSession } from '../_lib/current-session';
import { attempt, clientContext, field, fieldErrors, parseNewPasswordForm, type FormState } from '../_lib/forms';

/** Signs out everywhere this browser is concerned: revokes the backend session and clears the cookie. */
export async function signOutAction(): Promise<void> {
  await signOut({ redirectTo: '/signin?signedOut=1' });
}

/** Signs out one other device; this one is refused by the session rule (the page offers "Sign out" for it). */
export async function revokeSessionAction(_prev: FormState, form: FormData): Promise<FormState> {
  const session = await currentSession();
  const id = field(form, 'sessionId');
  if (!id) return { error: 'Choose a device to sign out.' };
  const { sessions } = await getTokenServices();
  const device = (await sessions.list(session.user.id)).find((s) => s.id === id);
  const caller = { userId: session.user.id, sessionId: session.sessionId };
  const result = await attempt(() => sessions.revoke(caller, id), {
    current_session: 'This is the device you are using. To leave it, use "Sign out" at the top of the page.',
  });
  if ('state' in result) return result.state;
  if (!result.value || !device) return { error: 'That device was already signed out.' };
  // The list keeps its row until the next visit, so the answer stays where the person clicked.
  return { done: `${deviceLabel(device.userAgent)} was signed out. It will need to sign in again.` };
}

/** Signs out every device but this one. */
export async function revokeOtherSessionsAction(): Promise<FormState> {
  const session = await currentSession();
  const caller = { userId: session.user.id, sessionId: session.sessionId };
  // Sensitive: with a second factor on the account, a fresh one first (the form asks, then sends again).
  const result = await attempt(async () => {
    await (await getAppServices()).mfa.requireStepUp(caller);
    return (await getTokenServices()).sessions.revokeAll(session.user.id, session.sessionId);
  }, {});
  if ('state' in result) return result.state;
  const count = result.value;
  revalidatePath('/account');
  return { done: devicesSignedOut(count, 'other') };
}

/** Signs out every device, this one included. */
export async function revokeAllSessionsAction(): Promise<FormState> {
  const session = await currentSession();
  await (await getTokenServices()).sessions.revokeAll(session.user.id);
  await signOut({ redirectTo: '/signin?signedOut=1' });
  return {};
}

/** Deletes the account for good, then signs this browser out. */
export async function deleteAccountAction(_prev: FormState, form: FormData): Promise<FormState> {
  const session = await currentSession();
  const password = field(form, 'password');
  const input = deleteAccountInput.safeParse(password ? { password } : {});
  if (!input.success) return { fields: fieldErrors(input.error) };
  // Any case, and spaces around it: the word is a deliberate act, not a test of typing.
  if ((field(form, 'confirm') ?? '').trim().toLowerCase() !== 'delete') {
    return { fields: { confirm: 'Type the word delete to confirm.' } };
  }
  const context = await clientContext();
  const result = await attempt(
    async () =>
      (await getAppServices()).auth.deleteAccount(
        { userId: session.user.id, sessionId: session.sessionId, password: input.data.password },
        context,
      ),
    {
      wrong_password: { field: 'password', text: 'The password is incorrect.' },
      reauthentication_required: 'For your protection, sign out and sign in again, then delete the account within 10 minutes.',
      rate_limited: true,
    },
  );
  if ('state' in result) return result.state;
  await signOut({ redirectTo: '/signin?deleted=1' });
  return {};
}

/** Changes the password; every other device is signed out. */
export async function changePasswordAction(_prev: FormState, form: FormData): Promise<FormState> {
  const session = await currentSession();
  const input = parseNewPasswordForm(
    changePasswordInput,
    { current_password: field(form, 'current_password'), new_password: field(form, 'new_password') },
    form,
  );
  if ('state' in input) return input.state;
  const context = await clientContext();
  const { data } = input;
  const changed = await attempt(
    async () =>
      (await getAppServices()).auth.changePassword(
        {
          userId: session.user.id,
          sessionId: session.sessionId,
          currentPassword: data.current_password,
          newPassword: data.new_password,
        },
        context,
      ),
    {
      wrong_password: { field: 'current_password', text: 'Your current password is incorrect.' },
      password_unchanged: { field: 'new_password' },
      weak_password: { field: 'new_password' },
      password_not_set: 'Your account signs in with a provider and has no password to change.',
      rate_limited: true,
    },
  );
  if ('state' in changed) return changed.state;
  revalidatePath('/account');
  return { done: `Password changed. ${devicesSignedOut(changed.value.signedOutSessions, 'other')}` };
}

/**
 * Asks to change the email address: the new one is mailed a link, the current one a notice; the address stays
 * until the link is used. The same answer whether or not the new address already has an account.
 */
export async function changeEmailAction(_prev: FormState, form: FormData): Promise<FormState> {
  const session = await currentSession();
  const password = field(form, 'password');
  // The form asks for the password only when the account has one: left empty, it is a typing slip, not a guess.
  if (form.has('password') && !password) return { fields: { password: 'Enter your current password.' } };
  const input = changeEmailInput.safeParse({ new_email: field(form, 'new_email') ?? '', ...(password ? { password } : {}) });
  if (!input.success) return { fields: fieldErrors(input.error) };
  const context = await clientContext();
  const { data } = input;
  const result = await attempt(
    async () =>
      (await getAppServices()).auth.requestEmailChange(
        { userId: session.user.id, sessionId: session.sessionId, newEmail: data.new_email, password: data.password },
        context,
        afterAnswer,
      ),
    {
      invalid_email: { field: 'new_email' },
      email_unchanged: { field: 'new_email', text: 'This is already your email address. Enter the new one.' },
      wrong_password: { field: 'password', text: 'The password is incorrect.' },
      reauthentication_required: 'For your protection, sign out and sign in again, then change the address within 10 minutes.',
      rate_limited: true,
      service_unavailable: 'The email address cannot be changed here.',
    },
  );
  if ('state' in result) return result.state;
  return { done: 'sent', email: parseNewEmail(data.new_email) };
}
