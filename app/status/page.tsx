import type { Metadata } from 'next';
import { auth } from '@/auth';

export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'Status' };

/**
 * A public page (outside the middleware matcher) that says whether this browser is signed in. Rendering
 * it may refresh the session, and a Server Component cannot write the cookie, so the browser keeps its
 * old refresh token; the rotation engine recovers that token later instead of treating it as reuse.
 */
export default async function StatusPage() {
  const session = await auth();
  const email = session && !session.error ? session.user.email : undefined;
  return (
    <>
      <h1>Status</h1>
      <p data-testid="status">{email ? `Signed in as ${email}` : 'Not signed in'}</p>
    </>
  );
}
