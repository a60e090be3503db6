'use server';
/** @module The sign-up page's server action: creates the account through the auth service, then signs in. */
import { signUpInput } from '@/lib/auth/input';
import { getAppServices } from '@/lib/services/app-services';
import { afterAnswer } from '../_lib/after-answer';
import { attempt, clientContext, field, fieldErrors, type FormState } from '../_lib/forms';
import { signInWithPassword } from '../_lib/password-sign-in';

/** Creates an account, then signs in; with email verification on, says "check your email" for any address. */
export async function signUpAction(_prev: FormState, form: FormData): Promise<FormState> {
  const name = field(form, 'name');
  const input = signUpInput.safeParse({
    email: field(form, 'email'),
    password: field(form, 'password'),
    ...(name ? { name } : {}),
  });
  if (!input.success) return { fields: fieldErrors(input.error), email: field(form, 'email') };
  const context = await clientContext();
  const result = await attempt(async () => (await getAppServices()).auth.signUp(input.data, context, afterAnswer), {
    email_taken: 'An account with this email already exists. Sign in instead.',
    weak_password: { field: 'password' },
    rate_limited: true,
  });
  if ('state' in result) return { ...result.state, email: input.data.email };
  // The same answer for a new and a used address (as the API's 202); it names the address typed.
  if (result.value.status === 'check_email') return { done: 'check_email', email: input.data.email };
  return signInWithPassword(input.data.email, input.data.password, '/account');
}
