/** @module The signed-in session an account action acts for; anyone else is sent to sign in. */
import { auth } from '@/auth';
import { redirect } from 'next/navigation';

/** The NextAuth session, or a redirect to sign in when there is none or it has ended. */
export async function currentSession() {
  const session = await auth();
  if (!session || session.error) redirect('/signin?callbackUrl=/account');
  return session;
}
