/** @module POST /auth/password: the bearer of an access token changes their password; other sessions are signed out. */
import { Hono } from 'hono';
import { z } from 'zod';
import { newPasswordField, passwordField } from '../../../lib/auth/input';
import type { AppServices } from '../../../lib/services/auth-service';
import type { Env } from '../app';
import { requireAccessToken } from '../bearer';
import { requestContext } from '../context';
import { readJson } from '../validation';

const changePasswordBody = z.strictObject({ current_password: passwordField, new_password: newPasswordField });

/** Password routes. */
export function passwordRoutes(services: () => Promise<AppServices>) {
  const app = new Hono<Env>();
  app.use('/password', requireAccessToken(services));

  app.post('/password', async (c) => {
    const body = await readJson(c, changePasswordBody);
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
