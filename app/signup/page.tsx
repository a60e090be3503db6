import Link from 'next/link';
import { signUpAction } from './actions';
import { CredentialsForm } from '../_components/credentials-form';

export default function SignUpPage() {
  return (
    <>
      <h1>Create an account</h1>
      <CredentialsForm action={signUpAction} submitLabel="Create account" withName newPassword />
      <p className="muted">
        Already have an account? <Link href="/signin">Sign in</Link>
      </p>
    </>
  );
}
