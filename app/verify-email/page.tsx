import type { Metadata } from 'next';
import { BadConfirmationLink, ConfirmEmailForm } from './confirm-email-form';

export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'Confirm your email address' };

export default async function VerifyEmailPage({ searchParams }: { searchParams: Promise<Record<string, string | undefined>> }) {
  const { token } = await searchParams;
  return (
    <>
      <h1>Confirm your email address</h1>
      {token ? (
        <ConfirmEmailForm token={token} />
      ) : (
        <BadConfirmationLink error="This page needs the link from the email we sent you." />
      )}
    </>
  );
}
