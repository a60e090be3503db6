import Link from 'next/link';
import { signInAction } from '../actions';
import { CredentialsForm } from '../_components/credentials-form';
import { safeCallbackUrl } from '../_components/safe-redirect';

const MESSAGES: Record<string, string> = {
  SessionExpired: 'Your session has ended. Please sign in again.',
  CredentialsSignin: 'Email or password is incorrect.',
  Configuration: 'Sign-in is temporarily unavailable. Please try again shortly.',
};

export default async function SignInPage({ searchParams }: { searchParams: Promise<Record<string, string | undefined>> }) {
  const params = await searchParams;
  const notice = params.error ? (MESSAGES[params.error] ?? 'Sign-in failed. Please try again.') : undefined;
  return (
    <>
      <h1>Sign in</h1>
      {params.signedOut && <p className="muted">You have been signed out.</p>}
      {notice && (
        <p className="error" role="alert">
          {notice}
        </p>
      )}
      <CredentialsForm action={signInAction} submitLabel="Sign in" callbackUrl={safeCallbackUrl(params.callbackUrl)} />
      <p className="muted">
        No account yet? <Link href="/signup">Create one</Link>
      </p>
    </>
  );
}
