'use server';
/** @module The sign-in page's server action: email and password through NextAuth. */
import { signInInput } from '@/lib/auth/input';
import { field, fieldErrors, type FormState } from '../_lib/forms';
import { signInWithPassword } from '../_lib/password-sign-in';

/** Signs in with email and password. */
export async function signInAction(_prev: FormState, form: FormData): Promise<FormState> {
  const input = signInInput.safeParse({ email: field(form, 'email'), password: field(form, 'password') });
  if (!input.success) {
    const fields = fieldErrors(input.error);
    if (fields.password) fields.password = 'Enter your password.';
    return { fields, email: field(form, 'email') };
  }
  return signInWithPassword(input.data.email, input.data.password, field(form, 'callbackUrl'));
}
