/**
 * @module Second factors: GET /auth/mfa, TOTP enrolment (POST /auth/mfa/totp, /confirm; DELETE /auth/mfa/totp),
 * new recovery codes, step-up (POST /auth/mfa/step-up) and the second sign-in step (POST /auth/mfa/verify,
 * public: the half-signed-in token is its credential). Answers carry secrets shown once: never cached.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import { mfaVerifyInput, proofOf, secondFactorInput, totpConfirmInput } from '../../../lib/mfa/input';
import type { Assurance } from '../../../lib/tokens/assurance';
import type { AppServices } from '../../../lib/services/app-services';
import { requireAccessToken, type BearerEnv } from '../bearer';
import { requestContext } from '../context';
import { refreshCookie } from '../cookies';
import { tokenAnswer } from '../token-response';
import { readJson } from '../validation';

/** A session's assurance as the API shows it. */
export const assuranceView = (a: Assurance) => ({ aal: a.aal, amr: a.amr, verified_at: a.verifiedAt || null });

/** Second-factor routes. */
export function mfaRoutes(services: () => Promise<AppServices>) {
  const app = new Hono<BearerEnv>();
  const guard = requireAccessToken(services);
  const caller = (claims: { sub: string; sid: string }) => ({ userId: claims.sub, sessionId: claims.sid });

  app.get('/mfa', guard, async (c) => {
    const { mfa } = await services();
    const who = caller(c.get('claims'));
    const [status, assurance] = await Promise.all([mfa.status(who.userId), mfa.sessionAssurance(who)]);
    c.header('Cache-Control', 'no-store');
    return c.json({
      totp_enabled: status.totpEnabled,
      recovery_codes_left: status.recoveryCodesLeft,
      passkeys: status.passkeys,
      session: assurance ? assuranceView(assurance) : null,
    });
  });

  app.post('/mfa/totp', guard, async (c) => {
    await readJson(c, z.strictObject({}));
    const { mfa } = await services();
    const enrolment = await mfa.beginTotp(c.get('claims').sub);
    c.header('Cache-Control', 'no-store');
    return c.json({ secret: enrolment.secret, otpauth_uri: enrolment.uri, qr_svg: enrolment.qrSvg }, 201);
  });

  app.post('/mfa/totp/confirm', guard, async (c) => {
    const body = await readJson(c, totpConfirmInput);
    const { mfa, config } = await services();
    const { recoveryCodes } = await mfa.confirmTotp(caller(c.get('claims')), body.code, requestContext(c, config.clientIp));
    c.header('Cache-Control', 'no-store');
    return c.json({ recovery_codes: recoveryCodes });
  });

  app.delete('/mfa/totp', guard, async (c) => {
    const { mfa, config } = await services();
    await mfa.disableTotp(caller(c.get('claims')), requestContext(c, config.clientIp));
    return c.body(null, 204);
  });

  app.post('/mfa/recovery-codes', guard, async (c) => {
    const { mfa, config } = await services();
    const { recoveryCodes } = await mfa.regenerateRecoveryCodes(caller(c.get('claims')), requestContext(c, config.clientIp));
    c.header('Cache-Control', 'no-store');
    return c.json({ recovery_codes: recoveryCodes });
  });

  app.post('/mfa/step-up', guard, async (c) => {
    const body = await readJson(c, secondFactorInput);
    const { mfa, config } = await services();
    const assurance = await mfa.stepUp(caller(c.get('claims')), proofOf(body), requestContext(c, config.clientIp));
    return c.json(assuranceView(assurance));
  });

  app.post('/mfa/verify', async (c) => {
    const body = await readJson(c, mfaVerifyInput);
    const { mfa, config } = await services();
    const session = await mfa.completeSignIn(body.mfa_token, proofOf(body), requestContext(c, config.clientIp));
    return tokenAnswer(session, refreshCookie(config.secureCookies, session.refreshToken, session.refreshTokenExpires));
  });

  return app;
}
