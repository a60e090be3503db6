import type { Metadata } from 'next';
import Link from 'next/link';
import { listOAuthProviders } from '@/nextauth/oauth-providers';
import { getConfig } from '@/lib/config/env';
import { safeRedirectPath } from '@/lib/auth/safe-redirect';
import { signInAction } from './actions';
import { CredentialsForm } from '../_components/credentials-form';
import { PasskeySignIn } from './passkey-sign-in';
import { OAuthButtons } from '../_components/oauth-buttons';
import { SignedInNotice } from '../_components/signed-in-notice';
import { signedInAs } from '../_lib/signed-in';

export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'Sign in' };

const MESSAGES: Record<string, string> = {
  SessionExpired: 'Your session has ended. Please sign in again.',
  CredentialsSignin: 'Email or password is incorrect.',
  Configuration: 'Sign-in is temporarily unavailable. Please try again shortly.',
  OAuthAccountNotLinked:
    'An account with this email already exists, and the provider did not confirm that the email is verified, so we did not link them. Sign in the way you did before (for example with your password).',
  OAuthSignin: 'Could not start sign-in with that provider. Please try again.',
  OAuthSignInError: 'Could not start sign-in with that provider. Please try again.',
  OAuthCallbackError: 'The provider did not complete the sign-in. Please try again.',
  OAuthCallback: 'The provider did not complete the sign-in. Please try again.',
  AccessDenied: 'Sign-in was cancelled or not allowed.',
  OAuthUnavailable: 'Sign-in with that provider is temporarily unavailable. Please try again shortly.',
  AccountBlocked: 'This account is blocked. Contact support.',
  OAuthCallbackInvalid:
    'This sign-in could not be completed: its return link from the provider was already used, has expired or was altered (for example after going back or reloading the page). Please sign in again.',
  SecondFactorExpired: 'That sign-in took too long or was already finished. Please sign in again.',
  OAuthProviderUnreachable: 'The sign-in provider could not be reached. Please try again shortly, or sign in another way.',
};

export default async function SignInPage({ searchParams }: { searchParams: Promise<Record<string, string | undefined>> }) {
  const params = await searchParams;
  const notice = params.error ? (MESSAGES[params.error] ?? 'Sign-in failed. Please try again.') : undefined;
  const callbackUrl = safeRedirectPath(params.callbackUrl, getConfig().APP_URL, '/account');
  const email = await signedInAs();
  if (email) {
    return (
      <>
        <h1>Sign in</h1>
        <SignedInNotice email={email} />
      </>
    );
  }
  // One live region for what just happened, so a screen reader announces it on arrival.
  const status = params.signedOut
    ? 'You have been signed out.'
    : params.reset
      ? 'Your password has been changed and every device signed out. Sign in with the new password.'
      : params.verified
        ? 'Your email address is confirmed. You can sign in now.'
        : params.deleted
          ? 'Your account has been deleted.'
          : undefined;
  return (
    <>
      <h1>Sign in</h1>
      {status && (
        <p className="success" role="status" data-testid="page-status">
          {status}
        </p>
      )}
      {notice && (
        <p className="error" role="alert">
          {notice}
        </p>
      )}
      <CredentialsForm action={signInAction} submitLabel="Sign in" callbackUrl={callbackUrl} passkeyAutofill />
      <PasskeySignIn callbackUrl={callbackUrl} />
      {getConfig().MAIL_TRANSPORT !== 'none' && (
        <p>
          <Link href="/forgot-password">Forgot your password?</Link>
        </p>
      )}
      <OAuthButtons providers={listOAuthProviders()} callbackUrl={callbackUrl} />
      <p className="muted">
        No account yet? <Link href="/signup">Create one</Link>
      </p>
    </>
  );
}
