/** @module Who is signed in on this browser, for public pages that should not show a sign-in form to them. */
import { auth } from '@/auth';
import { getTokenServices } from '@/lib/services/token-services';

/**
 * The signed-in person's email (or id) when this browser's session is live, else null. A session revoked
 * elsewhere counts as signed out, as the middleware sees it; Redis unreachable counts as live, as there.
 */
export async function signedInAs(): Promise<string | null> {
  const session = await auth();
  if (!session || session.error || !session.sessionId) return null;
  const { sessions } = await getTokenServices();
  const live = await sessions.isActive(session.sessionId).catch(() => true);
  return live ? (session.user.email ?? session.user.id) : null;
}
