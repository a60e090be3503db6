'use server';
/** @module The sign-up page's server action: creates the account through the auth service, then signs in. */
import { firstIssue, signUpInput } from '@/lib/auth/input';
import { getAppServices } from '@/lib/services/app-services';
import { afterAnswer } from '../_lib/after-answer';
import { attempt, clientContext, field, type FormState } from '../_lib/forms';
import { signInWithPassword } from '../_lib/password-sign-in';

/** What sign-up shows when email verification is on, whether the address was new or not (as the API's 202). */
const CHECK_EMAIL = 'Check your email: we have sent a message to this address with what to do next.';

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
  const result = await attempt(async () => (await getAppServices()).auth.signUp(input.data, context, afterAnswer), {
    email_taken: 'An account with this email already exists. Sign in instead.',
    rate_limited: true,
  });
  if ('error' in result) return { ...result, email: input.data.email };
  if (result.value.status === 'check_email') return { done: CHECK_EMAIL, email: input.data.email };
  return signInWithPassword(input.data.email, input.data.password, '/account');
}
