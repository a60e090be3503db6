'use server';
/** Server actions of the pages: thin adapters from form data to the auth service and NextAuth. */
import { AuthError as NextAuthError } from 'next-auth';
import { AuthError } from '@/lib/auth/errors';
import {
  changePasswordInput,
  deleteAccountInput,
  firstIssue,
  passwordResetConfirmInput,
  passwordResetRequestInput,
  signInInput,
  signUpInput,
} from '@/lib/auth/input';
import { getAppServices } from '@/lib/services/auth-service';
import { revalidatePath } from 'next/cache';
import { headers } from 'next/headers';
import { redirect } from 'next/navigation';
import { getTokenServices } from '@/lib/services/token-services';
import { auth, signIn, signOut } from '@/auth';
import { contextFromHeaders } from '@/api/_hono/context';
import { safeCallbackUrl } from './_components/safe-redirect';

/** What a form shows after a failed submit. */
export interface FormState {
  error?: string;
  email?: string;
}

/** Client IP and user agent, for rate limits and the device list. */
const clientContext = async () => contextFromHeaders(await headers());

const field = (form: FormData, name: string) => {
  const value = form.get(name);
  return typeof value === 'string' ? value : undefined;
};

async function signInWithPassword(email: string, password: string, callbackUrl: unknown): Promise<FormState> {
  try {
    await signIn('credentials', { email, password, redirectTo: safeCallbackUrl(callbackUrl) });
    return {};
  } catch (error) {
    // NextAuth signals success with a redirect "error"; only its own AuthError means failure.
    if (error instanceof NextAuthError) {
      const limited = (error as { code?: string }).code === 'rate_limited';
      return { error: limited ? 'Too many sign-in attempts. Please wait a few minutes and try again.' : 'Email or password is incorrect.', email };
    }
    throw error;
  }
}

/** Signs in with email and password. */
export async function signInAction(_prev: FormState, form: FormData): Promise<FormState> {
  const input = signInInput.safeParse({ email: field(form, 'email'), password: field(form, 'password') });
  if (!input.success) return { error: firstIssue(input.error), email: field(form, 'email') };
  return signInWithPassword(input.data.email, input.data.password, field(form, 'callbackUrl'));
}

/** Creates an account, then signs in. */
export async function signUpAction(_prev: FormState, form: FormData): Promise<FormState> {
  const name = field(form, 'name');
  const input = signUpInput.safeParse({
    email: field(form, 'email'),
    password: field(form, 'password'),
    ...(name ? { name } : {}),
  });
  if (!input.success) return { error: firstIssue(input.error), email: field(form, 'email') };
  try {
    await (await getAppServices()).auth.signUp(input.data, await clientContext());
  } catch (error) {
    if (error instanceof AuthError && error.code === 'email_taken') {
      return { error: 'An account with this email already exists. Sign in instead.', email: input.data.email };
    }
    if (error instanceof AuthError && error.code === 'rate_limited') return { error: error.message, email: input.data.email };
    throw error;
  }
  return signInWithPassword(input.data.email, input.data.password, '/account');
}

/** Signs out everywhere this browser is concerned: revokes the backend session and clears the cookie. */
export async function signOutAction(): Promise<void> {
  await signOut({ redirectTo: '/signin?signedOut=1' });
}

async function currentSession() {
  const session = await auth();
  if (!session || session.error) redirect('/signin?callbackUrl=/account');
  return session;
}

/** Signs out one other device. */
export async function revokeSessionAction(form: FormData): Promise<void> {
  const session = await currentSession();
  const id = field(form, 'sessionId');
  if (id && id !== session.sessionId) await (await getTokenServices()).sessions.revoke(session.user.id, id);
  revalidatePath('/account');
}

/** Signs out every device but this one. */
export async function revokeOtherSessionsAction(): Promise<void> {
  const session = await currentSession();
  await (await getTokenServices()).sessions.revokeAll(session.user.id, session.sessionId);
  revalidatePath('/account');
}

/** Signs out every device, this one included. */
export async function revokeAllSessionsAction(): Promise<void> {
  const session = await currentSession();
  await (await getTokenServices()).sessions.revokeAll(session.user.id);
  await signOut({ redirectTo: '/signin?signedOut=1' });
}

/** What the password form shows after a submit. */
export interface PasswordFormState {
  error?: string;
  done?: string;
}

const PASSWORD_ERRORS: Partial<Record<string, string>> = {
  wrong_password: 'Your current password is incorrect.',
  password_not_set: 'Your account signs in with a provider and has no password to change.',
};

const DELETE_ERRORS: Partial<Record<string, string>> = {
  wrong_password: 'The password is incorrect.',
  reauthentication_required: 'For your protection, sign out and sign in again, then delete the account within 10 minutes.',
};

/** Deletes the account for good, then signs this browser out. */
export async function deleteAccountAction(_prev: FormState, form: FormData): Promise<FormState> {
  const session = await currentSession();
  const password = field(form, 'password');
  const input = deleteAccountInput.safeParse(password ? { password } : {});
  if (!input.success) return { error: firstIssue(input.error) };
  if (field(form, 'confirm') !== 'delete') return { error: 'Type "delete" to confirm.' };
  try {
    await (await getAppServices()).auth.deleteAccount({ userId: session.user.id, sessionId: session.sessionId, password: input.data.password }, await clientContext());
  } catch (error) {
    if (error instanceof AuthError && (DELETE_ERRORS[error.code] || error.code === 'rate_limited')) return { error: DELETE_ERRORS[error.code] ?? error.message };
    throw error;
  }
  await signOut({ redirectTo: '/signin?deleted=1' });
  return {};
}

/** Changes the password; every other device is signed out. */
export async function changePasswordAction(_prev: PasswordFormState, form: FormData): Promise<PasswordFormState> {
  const session = await currentSession();
  const input = changePasswordInput.safeParse({ current_password: field(form, 'current_password'), new_password: field(form, 'new_password') });
  if (!input.success) return { error: firstIssue(input.error).replace(/^new_password: /, 'New ') };
  if (field(form, 'confirm_password') !== input.data.new_password) return { error: 'The new passwords do not match.' };
  try {
    const { signedOutSessions } = await (await getAppServices()).auth.changePassword(
      { userId: session.user.id, sessionId: session.sessionId, currentPassword: input.data.current_password, newPassword: input.data.new_password },
      await clientContext(),
    );
    revalidatePath('/account');
    const others = signedOutSessions === 1 ? '1 other device was' : `${signedOutSessions} other devices were`;
    return { done: `Password changed. ${others} signed out.` };
  } catch (error) {
    if (error instanceof AuthError && (PASSWORD_ERRORS[error.code] || error.code === 'rate_limited')) {
      return { error: PASSWORD_ERRORS[error.code] ?? error.message };
    }
    throw error;
  }
}

/** Mails a password-reset link; the same answer whether or not the address has an account. */
export async function requestPasswordResetAction(_prev: PasswordFormState, form: FormData): Promise<PasswordFormState> {
  const input = passwordResetRequestInput.safeParse({ email: field(form, 'email') });
  if (!input.success) return { error: firstIssue(input.error) };
  try {
    await (await getAppServices()).passwordResets.request(input.data.email, await clientContext());
  } catch (error) {
    if (error instanceof AuthError && (error.code === 'rate_limited' || error.code === 'service_unavailable')) return { error: error.message };
    throw error;
  }
  return { done: 'If an account with a password uses this address, we have sent it a link to choose a new password.' };
}

/** Sets the new password from a reset link, then sends the person to sign in with it. */
export async function confirmPasswordResetAction(_prev: PasswordFormState, form: FormData): Promise<PasswordFormState> {
  const input = passwordResetConfirmInput.safeParse({ token: field(form, 'token'), new_password: field(form, 'new_password') });
  if (!input.success) return { error: firstIssue(input.error).replace(/^new_password: /, 'New ').replace(/^token: .*/, 'This reset link is incomplete.') };
  if (field(form, 'confirm_password') !== input.data.new_password) return { error: 'The new passwords do not match.' };
  try {
    await (await getAppServices()).passwordResets.confirm(input.data.token, input.data.new_password, await clientContext());
  } catch (error) {
    if (error instanceof AuthError && (error.code === 'invalid_reset_token' || error.code === 'rate_limited')) return { error: error.message };
    throw error;
  }
  redirect('/signin?reset=1');
}
