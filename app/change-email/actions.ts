'use server';
/** @module The change-email page's server action: redeems the link mailed to the new address. */
import { emailChangeConfirmInput } from '@/lib/auth/input';
import { getAppServices } from '@/lib/services/app-services';
import { signedInAs } from '../_lib/signed-in';
import { attempt, clientContext, field, type FormState } from '../_lib/forms';

/**
 * Redeems an email-change link: the account takes the new address. Says whether this browser is still signed in
 * afterwards (only the device that asked for the change stays signed in), so the page offers the right way on.
 */
export async function confirmEmailChangeAction(_prev: FormState, form: FormData): Promise<FormState> {
  const input = emailChangeConfirmInput.safeParse({ token: field(form, 'token') });
  if (!input.success) return { error: 'This link is incomplete. Open the whole link from the email, or ask again.' };
  const changes = (await getAppServices()).emailChanges;
  if (!changes) return { error: 'The email address cannot be changed here.' };
  const context = await clientContext();
  const result = await attempt(() => changes.confirm(input.data.token, context), {
    invalid_email_change_token: true,
    email_taken: 'Another account took this address in the meantime, so it cannot become yours. Your address stays as it was.',
    account_blocked: true,
  });
  if ('state' in result) return result.state;
  return { done: 'changed', email: result.value.email, signedIn: (await signedInAs()) !== null };
}
