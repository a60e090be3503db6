import type { Metadata } from 'next';
import Link from 'next/link';
import { redirect } from 'next/navigation';
import { safeRedirectPath } from '@/lib/auth/safe-redirect';
import { getConfig } from '@/lib/config/env';
import { pendingSecondFactor } from '../../_lib/second-factor-cookie';
import { SecondFactorForm } from './second-factor-form';

export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'Two-step verification' };

export default async function SecondFactorPage({ searchParams }: { searchParams: Promise<Record<string, string | undefined>> }) {
  if (!(await pendingSecondFactor())) redirect('/signin?error=SecondFactorExpired');
  const { callbackUrl } = await searchParams;
  return (
    <>
      <h1>Two-step verification</h1>
      <p className="muted">Your password was right. Enter the code from your authenticator app to finish signing in.</p>
      <SecondFactorForm callbackUrl={safeRedirectPath(callbackUrl, getConfig().APP_URL, '/account')} />
      <p className="muted">
        <Link href="/signin">Start over</Link>
      </p>
    </>
  );
}
