import Link from 'next/link';
import { signOutAction } from '../account/actions';

/** "You are signed in as …": shown instead of a sign-in, sign-up or reset form to someone already signed in. */
export function SignedInNotice({ email }: { email: string }) {
  return (
    <div className="notice" data-testid="signed-in-notice">
      <p>
        You are signed in as <strong>{email}</strong>.
      </p>
      <div className="actions">
        <Link href="/account" className="button">
          Go to your account
        </Link>
        <form action={signOutAction}>
          <button type="submit" className="secondary">
            Sign out
          </button>
        </form>
      </div>
    </div>
  );
}
