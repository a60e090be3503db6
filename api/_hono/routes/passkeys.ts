/**
 * @module Passkeys: list, register, rename, remove (Bearer); sign in (public, the button and autofill); step up
 * (Bearer). Each ceremony is two calls: options (a single-use challenge), then the browser's response.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from 'simplewebauthn-server';
import { passkeyAssertionInput, passkeyRegistrationInput, passkeyRenameInput } from '../../../lib/mfa/input';
import type { PasskeyInfo } from '../../../lib/passkeys/service';
import type { AppServices } from '../../../lib/services/app-services';
import { requireAccessToken, type BearerEnv } from '../bearer';
import { requestContext } from '../context';
import { refreshCookie } from '../cookies';
import { errorResponse } from '../errors';
import { tokenAnswer } from '../token-response';
import { readJson } from '../validation';
import { assuranceView } from './mfa';

/** A passkey as the API shows it (times in ms since the epoch). */
const passkeyView = (p: PasskeyInfo) => ({
  id: p.id,
  name: p.name,
  created_at: p.createdAt,
  last_used_at: p.lastUsedAt,
  synced: p.synced,
});

/** An empty JSON body (or none): the options calls take nothing. */
const noBody = z.strictObject({});

/** Passkey routes. */
export function passkeyRoutes(services: () => Promise<AppServices>) {
  const app = new Hono<BearerEnv>();
  const guard = requireAccessToken(services);
  const caller = (claims: { sub: string; sid: string }) => ({ userId: claims.sub, sessionId: claims.sid });

  app.get('/passkeys', guard, async (c) => {
    const { passkeys } = await services();
    c.header('Cache-Control', 'no-store');
    return c.json({ passkeys: (await passkeys.list(c.get('claims').sub)).map(passkeyView) });
  });

  app.post('/passkeys/registration/options', guard, async (c) => {
    await readJson(c, noBody);
    const { passkeys, config } = await services();
    c.header('Cache-Control', 'no-store');
    return c.json(await passkeys.registrationOptions(c.get('claims').sub, requestContext(c, config.clientIp)));
  });

  app.post('/passkeys/registration', guard, async (c) => {
    const body = await readJson(c, passkeyRegistrationInput);
    const { passkeys, config } = await services();
    const passkey = await passkeys.register(
      caller(c.get('claims')),
      body.response as unknown as RegistrationResponseJSON,
      body.name,
      requestContext(c, config.clientIp),
    );
    return c.json({ passkey: passkeyView(passkey) }, 201);
  });

  app.patch('/passkeys/:id', guard, async (c) => {
    const body = await readJson(c, passkeyRenameInput);
    const { passkeys } = await services();
    if (!(await passkeys.rename(c.get('claims').sub, c.req.param('id'), body.name))) {
      return errorResponse(c, 'not_found', 'No such passkey.');
    }
    return c.body(null, 204);
  });

  app.delete('/passkeys/:id', guard, async (c) => {
    const { passkeys, config } = await services();
    if (!(await passkeys.remove(caller(c.get('claims')), c.req.param('id'), requestContext(c, config.clientIp)))) {
      return errorResponse(c, 'not_found', 'No such passkey.');
    }
    return c.body(null, 204);
  });

  app.post('/passkeys/authentication/options', async (c) => {
    await readJson(c, noBody);
    const { passkeys, config } = await services();
    c.header('Cache-Control', 'no-store');
    return c.json(await passkeys.signInOptions(requestContext(c, config.clientIp)));
  });

  app.post('/passkeys/authentication', async (c) => {
    const body = await readJson(c, passkeyAssertionInput);
    const { passkeys, config } = await services();
    const session = await passkeys.signIn(
      body.response as unknown as AuthenticationResponseJSON,
      requestContext(c, config.clientIp),
    );
    return tokenAnswer(session, refreshCookie(config.secureCookies, session.refreshToken, session.refreshTokenExpires));
  });

  app.post('/passkeys/step-up/options', guard, async (c) => {
    await readJson(c, noBody);
    const { passkeys, config } = await services();
    c.header('Cache-Control', 'no-store');
    return c.json(await passkeys.stepUpOptions(c.get('claims').sub, requestContext(c, config.clientIp)));
  });

  app.post('/passkeys/step-up', guard, async (c) => {
    const body = await readJson(c, passkeyAssertionInput);
    const { passkeys, config } = await services();
    const assurance = await passkeys.stepUp(
      caller(c.get('claims')),
      body.response as unknown as AuthenticationResponseJSON,
      requestContext(c, config.clientIp),
    );
    return c.json(assuranceView(assurance));
  });

  return app;
}
