import Link from 'next/link';
import { ResetRequestForm } from './reset-request-form';

export default function ForgotPasswordPage() {
  return (
    <>
      <h1>Forgot your password?</h1>
      <p className="muted">Enter the email address of your account and we will send you a link to choose a new password.</p>
      <ResetRequestForm />
      <p className="muted">
        Remembered it? <Link href="/signin">Sign in</Link>
      </p>
    </>
  );
}
