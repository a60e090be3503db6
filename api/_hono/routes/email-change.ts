/**
 * @module POST /auth/email (the bearer asks to change their address; step-up) and POST /auth/email/confirm (the
 * link mailed to the new address is used, from any device: the link is the credential).
 */
import { Hono } from 'hono';
import { changeEmailInput, emailChangeConfirmInput } from '../../../lib/auth/input';
import type { EmailChanges } from '../../../lib/auth/email-change';
import type { AppServices } from '../../../lib/services/app-services';
import { requireAccessToken, type BearerEnv } from '../bearer';
import { requestContext } from '../context';
import { deferFor } from '../deferred';
import { ApiError } from '../errors';
import { readJson } from '../validation';

/** The same answer whether or not the new address already has an account: no enumeration through this route. */
export const EMAIL_CHANGE_REQUESTED =
  'Check the new address: we have sent it a link to confirm the change. Your address stays the same until it is used.';

const enabled = (changes: EmailChanges | null): EmailChanges => {
  if (!changes) throw new ApiError('service_unavailable', 'The email address cannot be changed here: email is off.');
  return changes;
};

/** Email-change routes. */
export function emailChangeRoutes(services: () => Promise<AppServices>) {
  const app = new Hono<BearerEnv>();
  // The exact path only: /email/confirm is public.
  app.use('/email', requireAccessToken(services));

  app.post('/email', async (c) => {
    const body = await readJson(c, changeEmailInput);
    const claims = c.get('claims');
    const { auth, config } = await services();
    await auth.requestEmailChange(
      { userId: claims.sub, sessionId: claims.sid, newEmail: body.new_email, password: body.password },
      requestContext(c, config.clientIp),
      deferFor(c),
    );
    return c.json({ message: EMAIL_CHANGE_REQUESTED }, 202);
  });

  app.post('/email/confirm', async (c) => {
    const body = await readJson(c, emailChangeConfirmInput);
    const { emailChanges, config } = await services();
    const { email } = await enabled(emailChanges).confirm(body.token, requestContext(c, config.clientIp));
    c.header('Cache-Control', 'no-store');
    return c.json({ email, email_verified: true });
  });

  return app;
}
