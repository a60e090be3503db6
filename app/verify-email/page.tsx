import Link from 'next/link';
import { ConfirmEmailForm } from './confirm-email-form';

export const dynamic = 'force-dynamic';

export default async function VerifyEmailPage({ searchParams }: { searchParams: Promise<Record<string, string | undefined>> }) {
  const { token } = await searchParams;
  return (
    <>
      <h1>Confirm your email address</h1>
      {token ? (
        <ConfirmEmailForm token={token} />
      ) : (
        <p className="error" role="alert">
          This page needs the link from your email. <Link href="/signin">Sign in</Link> to ask for a new one.
        </p>
      )}
    </>
  );
}
