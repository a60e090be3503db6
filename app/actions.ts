'use server';
/** Server actions of the pages: thin adapters from form data to the auth service and NextAuth. */
import { AuthError as NextAuthError } from 'next-auth';
import { AuthError, type AuthErrorCode } from '@/lib/auth/errors';
import {
  changePasswordInput,
  deleteAccountInput,
  emailVerificationConfirmInput,
  emailVerificationRequestInput,
  firstIssue,
  passwordResetConfirmInput,
  passwordResetRequestInput,
  signInInput,
  signUpInput,
} from '@/lib/auth/input';
import { getAppServices } from '@/lib/services/app-services';
import { revalidatePath } from 'next/cache';
import { headers } from 'next/headers';
import { redirect } from 'next/navigation';
import { getTokenServices } from '@/lib/services/token-services';
import { auth, signIn, signOut } from '@/auth';
import { contextFromHeaders } from '@/lib/auth/request-context';
import type { z } from 'zod';
import { devicesWere } from './_components/devices';
import { safeCallbackUrl } from './_components/safe-redirect';

/** What a form shows after a submit: what went wrong, or what was done; the email to fill in again. */
export interface FormState {
  error?: string;
  done?: string;
  email?: string;
  /** The password was right but the email is not confirmed yet: offer to send the link again. */
  unverified?: boolean;
}

/** What sign-up shows when email verification is on, whether the address was new or not (as the API's 202). */
const CHECK_EMAIL = 'Check your email: we have sent a message to this address with what to do next.';

/** Client IP and user agent, for rate limits and the device list. */
const clientContext = async () => contextFromHeaders(await headers());

const field = (form: FormData, name: string) => {
  const value = form.get(name);
  return typeof value === 'string' ? value : undefined;
};

/**
 * Runs a use case: its value, or, for an AuthError whose code `messages` names, the error the form shows
 * (`true`: the error's own message). Anything else propagates.
 */
async function attempt<T>(work: () => Promise<T>, messages: Partial<Record<AuthErrorCode, string | true>>): Promise<{ value: T } | { error: string }> {
  try {
    return { value: await work() };
  } catch (error) {
    const shown = error instanceof AuthError ? messages[error.code] : undefined;
    if (shown === undefined) throw error;
    return { error: shown === true ? (error as AuthError).message : shown };
  }
}

/** Parses a form that chooses a new password twice (`new_password`, `confirm_password`): its input, or the error to show. */
function parseNewPasswordForm<T extends { new_password: string }>(
  schema: z.ZodType<T>,
  values: Record<string, unknown>,
  form: FormData,
): { data: T } | { error: string } {
  const input = schema.safeParse(values);
  if (!input.success) {
    return { error: firstIssue(input.error).replace(/^new_password: /, 'New ').replace(/^token: .*/, 'This reset link is incomplete.') };
  }
  if (field(form, 'confirm_password') !== input.data.new_password) return { error: 'The new passwords do not match.' };
  return { data: input.data };
}

async function signInWithPassword(email: string, password: string, callbackUrl: unknown): Promise<FormState> {
  try {
    await signIn('credentials', { email, password, redirectTo: safeCallbackUrl(callbackUrl) });
    return {};
  } catch (error) {
    // NextAuth signals success with a redirect "error"; only its own AuthError means failure.
    if (error instanceof NextAuthError) {
      const code = (error as { code?: string }).code;
      if (code === 'email_not_verified') {
        return { error: 'Confirm your email address first, with the link we sent you.', email, unverified: true };
      }
      const limited = code === 'rate_limited';
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

/** Creates an account, then signs in; with email verification on, says "check your email" for any address. */
export async function signUpAction(_prev: FormState, form: FormData): Promise<FormState> {
  const name = field(form, 'name');
  const input = signUpInput.safeParse({
    email: field(form, 'email'),
    password: field(form, 'password'),
    ...(name ? { name } : {}),
  });
  if (!input.success) return { error: firstIssue(input.error), email: field(form, 'email') };
  const context = await clientContext();
  const result = await attempt(async () => (await getAppServices()).auth.signUp(input.data, context), {
    email_taken: 'An account with this email already exists. Sign in instead.',
    rate_limited: true,
  });
  if ('error' in result) return { ...result, email: input.data.email };
  if (result.value.status === 'check_email') return { done: CHECK_EMAIL, email: input.data.email };
  return signInWithPassword(input.data.email, input.data.password, '/account');
}

/** Mails a new verification link (the sign-in form's "send it again"); the same answer for any address. */
export async function resendVerificationAction(_prev: FormState, form: FormData): Promise<FormState> {
  const input = emailVerificationRequestInput.safeParse({ email: field(form, 'email') });
  if (!input.success) return { error: firstIssue(input.error) };
  const verifications = (await getAppServices()).emailVerifications;
  if (!verifications) return { error: 'Email verification is off here.' };
  const context = await clientContext();
  const result = await attempt(() => verifications.resend(input.data.email, context), { rate_limited: true, service_unavailable: true });
  return 'error' in result ? result : { done: 'If this address is waiting for confirmation, a new link is on its way.' };
}

/** Mails a new verification link to the signed-in account's address (the account page). */
export async function resendOwnVerificationAction(prev: FormState): Promise<FormState> {
  const session = await currentSession();
  const form = new FormData();
  form.set('email', session.user.email ?? '');
  const result = await resendVerificationAction(prev, form);
  return result.done ? { done: 'A new link is on its way to your email address.' } : result;
}

/** Redeems a verification link, then sends the person on: to their account if signed in, else to sign in. */
export async function confirmEmailAction(_prev: FormState, form: FormData): Promise<FormState> {
  const input = emailVerificationConfirmInput.safeParse({ token: field(form, 'token') });
  if (!input.success) return { error: 'This confirmation link is incomplete.' };
  const verifications = (await getAppServices()).emailVerifications;
  if (!verifications) return { error: 'Email verification is off here.' };
  const context = await clientContext();
  const result = await attempt(() => verifications.confirm(input.data.token, context), { invalid_verification_token: true, rate_limited: true });
  if ('error' in result) return result;
  const session = await auth();
  redirect(session && !session.error ? '/account?verified=1' : '/signin?verified=1');
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
      (await getAppServices()).auth.deleteAccount({ userId: session.user.id, sessionId: session.sessionId, password: input.data.password }, context),
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
  const input = parseNewPasswordForm(changePasswordInput, { current_password: field(form, 'current_password'), new_password: field(form, 'new_password') }, form);
  if ('error' in input) return input;
  const context = await clientContext();
  const { data } = input;
  const changed = await attempt(
    async () =>
      (await getAppServices()).auth.changePassword(
        { userId: session.user.id, sessionId: session.sessionId, currentPassword: data.current_password, newPassword: data.new_password },
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

/** Mails a password-reset link; the same answer whether or not the address has an account. */
export async function requestPasswordResetAction(_prev: FormState, form: FormData): Promise<FormState> {
  const input = passwordResetRequestInput.safeParse({ email: field(form, 'email') });
  if (!input.success) return { error: firstIssue(input.error) };
  const context = await clientContext();
  const result = await attempt(async () => (await getAppServices()).passwordResets.request(input.data.email, context), {
    rate_limited: true,
    service_unavailable: true,
  });
  return 'error' in result ? result : { done: 'If an account with a password uses this address, we have sent it a link to choose a new password.' };
}

/** Sets the new password from a reset link, then sends the person to sign in with it. */
export async function confirmPasswordResetAction(_prev: FormState, form: FormData): Promise<FormState> {
  const input = parseNewPasswordForm(passwordResetConfirmInput, { token: field(form, 'token'), new_password: field(form, 'new_password') }, form);
  if ('error' in input) return input;
  const context = await clientContext();
  const result = await attempt(
    async () => (await getAppServices()).passwordResets.confirm(input.data.token, input.data.new_password, context),
    { invalid_reset_token: true, rate_limited: true },
  );
  if ('error' in result) return result;
  redirect('/signin?reset=1');
}
