/** GET /api/me: the signed-in user of this browser session (cookie-authenticated; middleware answers 401 JSON otherwise). */
import { auth } from '@/auth';

export const dynamic = 'force-dynamic';

export async function GET() {
  const session = await auth();
  if (!session || session.error) {
    return Response.json({ error: { code: 'unauthorized', message: 'Sign in first.' } }, { status: 401 });
  }
  return Response.json(
    {
      user: session.user,
      provider: session.provider,
      sessionId: session.sessionId,
      accessTokenExpires: session.accessTokenExpires,
    },
    { headers: { 'Cache-Control': 'no-store' } },
  );
}
