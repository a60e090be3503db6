import { redirect } from 'next/navigation';
import { auth } from '@/auth';
import { signOutAction } from './actions';
import { Countdown } from '../_components/countdown';
import { getAppServices } from '@/lib/services/app-services';
import { DeleteAccountForm } from './delete-account-form';
import { PasswordForm } from './password-form';
import { ResendVerificationForm } from '../_components/resend-verification-form';
import { SecurityEvents, SessionList } from './sessions';
import { SecuritySettings } from './security/security-settings';
import { SecondFactorsProvider } from './security/step-up';

export const dynamic = 'force-dynamic';

export default async function AccountPage({ searchParams }: { searchParams: Promise<Record<string, string | undefined>> }) {
  const session = await auth();
  if (!session || session.error) redirect('/signin?callbackUrl=/account');
  const { sessions, rotation, auth: accounts, emailVerifications, mfa, passkeys } = await getAppServices();
  const caller = { userId: session.user.id, sessionId: session.sessionId };
  const [devices, events, { hasPassword, emailVerified: verified }, params, factors, keys, assurance] = await Promise.all([
    sessions.list(session.user.id),
    rotation.securityEvents(session.user.id),
    accounts.credentials(session.user.id),
    searchParams,
    mfa.status(session.user.id),
    passkeys.list(session.user.id),
    mfa.sessionAssurance(caller),
  ]);
  return (
    <SecondFactorsProvider totp={factors.totpEnabled} passkeys={factors.passkeys > 0}>
      <h1>Your account</h1>
      <dl>
        <dt>Signed in as</dt>
        <dd data-testid="account-email">{session.user.email}</dd>
        <dt>Email</dt>
        <dd data-testid="email-status" data-verified={verified}>
          {verified ? 'confirmed' : 'not confirmed yet'}
          {params.verified && verified && ' (just now)'}
        </dd>
        {session.user.name && (
          <>
            <dt>Name</dt>
            <dd>{session.user.name}</dd>
          </>
        )}
        <dt>Provider</dt>
        <dd data-testid="account-provider">{session.provider}</dd>
        <dt>Access token expires in</dt>
        <dd>
          <Countdown until={session.accessTokenExpires} />
        </dd>
      </dl>
      {!verified && hasPassword && emailVerifications && <ResendVerificationForm />}
      <form action={signOutAction}>
        <button type="submit">Sign out</button>
      </form>
      <SecurityEvents events={events} />
      <SessionList sessions={devices} currentId={session.sessionId} />
      {hasPassword && <PasswordForm />}
      <SecuritySettings passkeys={keys} status={factors} assurance={assurance} />
      <DeleteAccountForm hasPassword={hasPassword} />
    </SecondFactorsProvider>
  );
}
