import type { Metadata } from 'next';
import Link from 'next/link';
import { ResetRequestForm } from './reset-request-form';
import { SignedInNotice } from '../_components/signed-in-notice';
import { signedInAs } from '../_lib/signed-in';

export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'Forgot your password?' };

export default async function ForgotPasswordPage() {
  const email = await signedInAs();
  return (
    <>
      {email ? (
        <>
          <h1>Forgot your password?</h1>
          <SignedInNotice email={email} />
        </>
      ) : (
        <>
          <ResetRequestForm />
          <p className="muted">
            Remembered it? <Link href="/signin">Sign in</Link>
          </p>
        </>
      )}
    </>
  );
}
