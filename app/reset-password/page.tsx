import Link from 'next/link';
import { NewPasswordForm } from './new-password-form';

export const dynamic = 'force-dynamic';

export default async function ResetPasswordPage({ searchParams }: { searchParams: Promise<Record<string, string | undefined>> }) {
  const { token } = await searchParams;
  return (
    <>
      <h1>Choose a new password</h1>
      {token ? (
        <NewPasswordForm token={token} />
      ) : (
        <p className="error" role="alert">
          This page needs the link from your email. <Link href="/forgot-password">Ask for a new one</Link>.
        </p>
      )}
    </>
  );
}
