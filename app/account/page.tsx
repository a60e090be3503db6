import type { Metadata } from 'next';
import { redirect } from 'next/navigation';
import { auth } from '@/auth';
import { listOAuthProviders } from '@/nextauth/oauth-providers';
import { signOutAction } from './actions';
import { Countdown } from '../_components/countdown';
import { getAppServices } from '@/lib/services/app-services';
import { DeleteAccountForm } from './delete-account-form';
import { EmailForm } from './email-form';
import { PasswordForm } from './password-form';
import { ResendVerificationForm } from '../_components/resend-verification-form';
import { SecurityEvents, SessionList } from './sessions';
import { SecuritySettings } from './security/security-settings';
import { SecondFactorsProvider } from '../_components/step-up';
import { isDependencyError } from '@/lib/auth/errors';
import { isStandInEmail } from '@/lib/users/stand-in-email';

/** The account page while a backing service is down: still signed in, nothing lost, try again shortly. */
function AccountUnavailable({ email }: { email: string }) {
  return (
    <>
      <h1>Your account</h1>
      <p role="status" data-testid="outage">
        You're still signed in as <span data-testid="account-email">{email}</span>, but we can't show your devices and security
        events right now because of a problem on our side.
      </p>
      <p>
        <a href="/account">Try again</a> in a minute.
      </p>
    </>
  );
}

export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'Your account' };

/** "Password", "Google", "Test IdP": how a person knows the ways they sign in. */
function providerNames(): (id: string) => string {
  const names = new Map<string, string>(listOAuthProviders().map((p) => [p.id, p.name]));
  return (id) => (id === 'credentials' ? 'Password' : (names.get(id) ?? id.charAt(0).toUpperCase() + id.slice(1)));
}

export default async function AccountPage({ searchParams }: { searchParams: Promise<Record<string, string | undefined>> }) {
  const session = await auth();
  if (!session || session.error) redirect('/signin?callbackUrl=/account');
  const { sessions, rotation, auth: accounts, emailVerifications, mfa, passkeys } = await getAppServices();
  const caller = { userId: session.user.id, sessionId: session.sessionId };
  const loaded = await Promise.all([
    sessions.list(session.user.id),
    rotation.securityEvents(session.user.id),
    accounts.credentials(session.user.id),
    searchParams,
    mfa.status(session.user.id),
    passkeys.list(session.user.id),
    mfa.sessionAssurance(caller),
  ]).catch((error: unknown) => {
    // Redis or the database did not answer: the person is still signed in (the middleware checked the signed
    // access token); say that, not a crash page, and let them retry.
    if (isDependencyError(error)) return null;
    throw error;
  });
  if (!loaded) return <AccountUnavailable email={session.user.email ?? ''} />;
  const [devices, events, credentials, params, factors, keys, assurance] = loaded;
  const { hasPassword, emailVerified: verified } = credentials;
  // As stored: the session's copy is from sign-in, before any email change.
  const email = credentials.email ?? session.user.email ?? '';
  const providerName = providerNames();
  return (
    <SecondFactorsProvider totp={factors.totpEnabled} passkeys={factors.passkeys > 0}>
      <h1>Your account</h1>
      <dl>
        <dt>Email</dt>
        <dd>
          <span data-testid="account-email">{email}</span>
        </dd>
        <dt>Confirmed</dt>
        <dd data-testid="email-status" data-verified={verified}>
          {verified ? 'Yes' : 'Not yet: open the link we emailed you'}
          {params.verified && verified && ' (just now)'}
        </dd>
        {session.user.name && (
          <>
            <dt>Name</dt>
            <dd>{session.user.name}</dd>
          </>
        )}
        <dt>Signed in with</dt>
        <dd data-testid="account-provider" data-provider={session.provider}>
          {providerName(session.provider)}
        </dd>
      </dl>
      {!verified && hasPassword && emailVerifications && <ResendVerificationForm />}
      <form action={signOutAction} className="actions">
        <button type="submit" className="secondary">
          Sign out
        </button>
      </form>
      <SecurityEvents events={events} providerName={providerName} />
      <SessionList sessions={devices} currentId={session.sessionId} providerName={providerName} />
      <SecuritySettings passkeys={keys} status={factors} assurance={assurance} />
      <EmailForm email={email} verified={verified} hasPassword={hasPassword} standIn={isStandInEmail(email)} />
      {hasPassword && <PasswordForm />}
      <DeleteAccountForm hasPassword={hasPassword} />
      <details>
        <summary>Technical details</summary>
        <dl>
          <dt>Access token renews in</dt>
          <dd>
            <Countdown until={session.accessTokenExpires} />
          </dd>
        </dl>
      </details>
    </SecondFactorsProvider>
  );
}
