/** @module POST /auth/email-verification (mail a new link) and POST /auth/email-verification/confirm (use it). */
import { Hono } from 'hono';
import { emailVerificationConfirmInput, emailVerificationRequestInput } from '../../../lib/auth/input';
import type { EmailVerifications } from '../../../lib/auth/email-verification';
import type { AppServices } from '../../../lib/services/app-services';
import { requestContext } from '../context';
import { deferFor } from '../deferred';
import { ApiError } from '../errors';
import { readJson } from '../validation';

const enabled = (verifications: EmailVerifications | null): EmailVerifications => {
  if (!verifications) throw new ApiError('service_unavailable', 'Email verification is off here (EMAIL_VERIFICATION=off).');
  return verifications;
};

/** Email-verification routes (public: the link in the email is the credential). */
export function emailVerificationRoutes(services: () => Promise<AppServices>) {
  const app = new Hono();

  app.post('/email-verification', async (c) => {
    const body = await readJson(c, emailVerificationRequestInput);
    const { emailVerifications, config } = await services();
    await enabled(emailVerifications).resend(body.email, requestContext(c, config.clientIp), deferFor(c));
    // The same answer whether or not the address has an account waiting for verification.
    return c.json({ message: 'If an account with this address is waiting for confirmation, a new link is on its way.' }, 202);
  });

  app.post('/email-verification/confirm', async (c) => {
    const body = await readJson(c, emailVerificationConfirmInput);
    const { emailVerifications, config } = await services();
    const { email } = await enabled(emailVerifications).confirm(body.token, requestContext(c, config.clientIp));
    c.header('Cache-Control', 'no-store');
    return c.json({ email, email_verified: true });
  });

  return app;
}
