/**
 * @module The bearer's own account: POST /auth/password changes the password (other sessions are signed
 * out), DELETE /auth/account deletes the account for good.
 */
import { Hono } from 'hono';
import { changePasswordInput, deleteAccountInput } from '../../../lib/auth/input';
import type { AppServices } from '../../../lib/services/app-services';
import { requireAccessToken, type BearerEnv } from '../bearer';
import { requestContext } from '../context';
import { readJson } from '../validation';

/** Account routes. */
export function accountRoutes(services: () => Promise<AppServices>) {
  const app = new Hono<BearerEnv>();
  const guard = requireAccessToken(services);
  for (const path of ['/password', '/account']) app.use(path, guard);

  app.post('/password', async (c) => {
    const body = await readJson(c, changePasswordInput);
    const claims = c.get('claims');
    const { auth, config } = await services();
    const { signedOutSessions } = await auth.changePassword(
      { userId: claims.sub, sessionId: claims.sid, currentPassword: body.current_password, newPassword: body.new_password },
      requestContext(c, config.clientIp),
    );
    return c.json({ signed_out_sessions: signedOutSessions });
  });

  app.delete('/account', async (c) => {
    const body = await readJson(c, deleteAccountInput);
    const claims = c.get('claims');
    const { auth, config } = await services();
    await auth.deleteAccount(
      { userId: claims.sub, sessionId: claims.sid, password: body.password },
      requestContext(c, config.clientIp),
    );
    return c.body(null, 204);
  });

  return app;
}
