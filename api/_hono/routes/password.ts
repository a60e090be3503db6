/** @module POST /auth/password: the bearer of an access token changes their password; other sessions are signed out. */
import { Hono } from 'hono';
import { changePasswordInput } from '../../../lib/auth/input';
import type { AppServices } from '../../../lib/services/auth-service';
import type { Env } from '../app';
import { requireAccessToken } from '../bearer';
import { requestContext } from '../context';
import { readJson } from '../validation';

/** Password routes. */
export function passwordRoutes(services: () => Promise<AppServices>) {
  const app = new Hono<Env>();
  app.use('/password', requireAccessToken(services));

  app.post('/password', async (c) => {
    const body = await readJson(c, changePasswordInput);
    const claims = c.get('claims');
    const { auth, config } = await services();
    const { signedOutSessions } = await auth.changePassword(
      { userId: claims.sub, sessionId: claims.sid, currentPassword: body.current_password, newPassword: body.new_password },
      requestContext(c, config.TRUST_PROXY),
    );
    return c.json({ signed_out_sessions: signedOutSessions });
  });

  return app;
}
