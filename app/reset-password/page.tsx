import type { Metadata } from 'next';
import Link from 'next/link';
import { getAppServices } from '@/lib/services/app-services';
import { NewPasswordForm } from './new-password-form';

export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'Choose a new password' };

/** The form only for a link that still works; a dead one says so at once, with one way forward. */
export default async function ResetPasswordPage({ searchParams }: { searchParams: Promise<Record<string, string | undefined>> }) {
  const { token } = await searchParams;
  const live = token ? await (await getAppServices()).passwordResets.isLive(token) : false;
  return (
    <>
      <h1>Choose a new password</h1>
      {live && token ? (
        <NewPasswordForm token={token} />
      ) : (
        <>
          <p className="error" role="alert" data-testid="reset-link-invalid">
            {token
              ? 'This link has expired, was already used, or was replaced by a newer one.'
              : 'This page needs the link from the email we sent you.'}
          </p>
          <p className="actions">
            <Link href="/forgot-password" className="button">
              Ask for a new link
            </Link>
            <Link href="/signin">Back to sign in</Link>
          </p>
        </>
      )}
    </>
  );
}
