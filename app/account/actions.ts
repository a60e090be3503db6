'use server';
/** @module The account page's server actions: sign out, devices, password change and account deletion. */
import { signOut } from '@/auth';
import { changePasswordInput, deleteAccountInput, firstIssue } from '@/lib/auth/input';
import { getAppServices } from '@/lib/services/app-services';
import { getTokenServices } from '@/lib/services/token-services';
import { revalidatePath } from 'next/cache';
import { devicesWere } from '../_components/devices';
import { currentSession } from '../_lib/current-session';
import { attempt, clientContext, field, parseNewPasswordForm, type FormState } from '../_lib/forms';

/** Signs out everywhere this browser is concerned: revokes the backend session and clears the cookie. */
export async function signOutAction(): Promise<void> {
  await signOut({ redirectTo: '/signin?signedOut=1' });
}

/** Signs out one other device; this one is refused by the session rule (the page offers "Sign out" for it). */
export async function revokeSessionAction(form: FormData): Promise<void> {
  const session = await currentSession();
  const id = field(form, 'sessionId');
  if (id) {
    const caller = { userId: session.user.id, sessionId: session.sessionId };
    // The list has no button for this device, so a refusal comes from a forged form: nothing to show.
    await attempt(async () => (await getTokenServices()).sessions.revoke(caller, id), { current_session: true });
  }
  revalidatePath('/account');
}

/** Signs out every device but this one. */
export async function revokeOtherSessionsAction(): Promise<void> {
  const session = await currentSession();
  // Sensitive: the page uses the step-up form (security/); this one refuses without a fresh second factor.
  await (await getAppServices()).mfa.requireStepUp({ userId: session.user.id, sessionId: session.sessionId });
  await (await getTokenServices()).sessions.revokeAll(session.user.id, session.sessionId);
  revalidatePath('/account');
}

/** Signs out every device, this one included. */
export async function revokeAllSessionsAction(): Promise<void> {
  const session = await currentSession();
  await (await getTokenServices()).sessions.revokeAll(session.user.id);
  await signOut({ redirectTo: '/signin?signedOut=1' });
}

/** Deletes the account for good, then signs this browser out. */
export async function deleteAccountAction(_prev: FormState, form: FormData): Promise<FormState> {
  const session = await currentSession();
  const password = field(form, 'password');
  const input = deleteAccountInput.safeParse(password ? { password } : {});
  if (!input.success) return { error: firstIssue(input.error) };
  if (field(form, 'confirm') !== 'delete') return { error: 'Type "delete" to confirm.' };
  const context = await clientContext();
  const result = await attempt(
    async () =>
      (await getAppServices()).auth.deleteAccount(
        { userId: session.user.id, sessionId: session.sessionId, password: input.data.password },
        context,
      ),
    {
      wrong_password: 'The password is incorrect.',
      reauthentication_required: 'For your protection, sign out and sign in again, then delete the account within 10 minutes.',
      rate_limited: true,
    },
  );
  if ('error' in result) return result;
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
  if ('error' in input) return input;
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
      wrong_password: 'Your current password is incorrect.',
      password_not_set: 'Your account signs in with a provider and has no password to change.',
      rate_limited: true,
    },
  );
  if ('error' in changed) return changed;
  revalidatePath('/account');
  return { done: `Password changed. ${devicesWere(changed.value.signedOutSessions, 'other')} signed out.` };
}
