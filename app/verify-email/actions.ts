'use server';
/** @module Email verification's server actions: send the link again (sign-in form, account page) and redeem it. */
import { auth } from '@/auth';
import { emailVerificationConfirmInput, emailVerificationRequestInput } from '@/lib/auth/input';
import { getAppServices } from '@/lib/services/app-services';
import { redirect } from 'next/navigation';
import { currentSession } from '../_lib/current-session';
import { afterAnswer } from '../_lib/after-answer';
import { attempt, clientContext, field, fieldErrors, type FormState } from '../_lib/forms';

/** Mails a new verification link (sign-in, sign-up, a bad link's page); the same answer for any address. */
export async function resendVerificationAction(_prev: FormState, form: FormData): Promise<FormState> {
  const input = emailVerificationRequestInput.safeParse({ email: field(form, 'email') });
  if (!input.success) return { fields: fieldErrors(input.error) };
  const verifications = (await getAppServices()).emailVerifications;
  if (!verifications) return { error: 'Email confirmation is not used here: you can sign in.' };
  const context = await clientContext();
  const result = await attempt(() => verifications.resend(input.data.email, context, afterAnswer), {
    rate_limited: true,
    service_unavailable: true,
  });
  return 'state' in result
    ? result.state
    : { done: `If ${input.data.email} is waiting for confirmation, a new link is on its way. Only the newest link works.` };
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
  if (!verifications) return { error: 'Email confirmation is not used here: you can sign in.' };
  const context = await clientContext();
  const result = await attempt(() => verifications.confirm(input.data.token, context), {
    invalid_verification_token: 'This link has expired, was already used, or was replaced by a newer one.',
    rate_limited: true,
  });
  if ('state' in result) {
    if (result.state.error && (await verifications.alreadyConfirmedWith(input.data.token))) return { alreadyConfirmed: true };
    return result.state;
  }
  const session = await auth();
  redirect(session && !session.error ? '/account?verified=1' : '/signin?verified=1');
}
