import type { Metadata } from 'next';
import Link from 'next/link';
import { signUpAction } from './actions';
import { CredentialsForm } from '../_components/credentials-form';
import { SignedInNotice } from '../_components/signed-in-notice';
import { signedInAs } from '../_lib/signed-in';

export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'Create an account' };

export default async function SignUpPage() {
  const email = await signedInAs();
  return (
    <>
      {email ? (
        <>
          <h1>Create an account</h1>
          <SignedInNotice email={email} />
        </>
      ) : (
        <>
          <CredentialsForm action={signUpAction} heading="Create an account" submitLabel="Create account" withName newPassword />
          <p className="muted">
            Already have an account? <Link href="/signin">Sign in</Link>
          </p>
        </>
      )}
    </>
  );
}
