/** @module POST /auth/password-reset (mail a link) and POST /auth/password-reset/confirm (use it). */
import { Hono } from 'hono';
import { passwordResetConfirmInput, passwordResetRequestInput } from '../../../lib/auth/input';
import type { AppServices } from '../../../lib/services/app-services';
import { requestContext } from '../context';
import { deferFor } from '../deferred';
import { readJson } from '../validation';

/** Password-reset routes (public: the link in the email is the credential). */
export function passwordResetRoutes(services: () => Promise<AppServices>) {
  const app = new Hono();

  app.post('/password-reset', async (c) => {
    const body = await readJson(c, passwordResetRequestInput);
    const { passwordResets, config } = await services();
    await passwordResets.request(body.email, requestContext(c, config.clientIp), deferFor(c));
    // The same answer, after the same work, whether or not the address has an account; the mail goes out after it.
    return c.json({ message: 'If an account with a password uses this address, a reset link is on its way.' }, 202);
  });

  app.post('/password-reset/confirm', async (c) => {
    const body = await readJson(c, passwordResetConfirmInput);
    const { passwordResets, config } = await services();
    const { signedOutSessions } = await passwordResets.confirm(body.token, body.new_password, requestContext(c, config.clientIp));
    c.header('Cache-Control', 'no-store');
    return c.json({ signed_out_sessions: signedOutSessions });
  });

  return app;
}
