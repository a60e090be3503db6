/** @module GET/DELETE /auth/sessions and GET /auth/security-events: a user's devices, for the bearer of an access token. */
import { Hono } from 'hono';
import { z } from 'zod';
import type { AppServices } from '../../../lib/services/app-services';
import { requireAccessToken, type BearerEnv } from '../bearer';
import { ApiError, errorResponse } from '../errors';
import { securityEventView, sessionView } from '../session-views';

const scopeQuery = z.enum(['all', 'others']);

/** Session management routes. */
export function sessionRoutes(services: () => Promise<AppServices>) {
  const app = new Hono<BearerEnv>();
  // Scoped paths, not '*': this app is mounted beside the public auth routes under the same prefix.
  // '/sessions/*' matches '/sessions' too, so the guard (and its revocation check) runs once per request.
  const guard = requireAccessToken(services);
  for (const path of ['/sessions/*', '/security-events']) app.use(path, guard);

  app.get('/sessions', async (c) => {
    const claims = c.get('claims');
    const { sessions } = await services();
    const list = await sessions.list(claims.sub);
    c.header('Cache-Control', 'no-store');
    return c.json({ sessions: list.map((s) => sessionView(s, claims.sid)) });
  });

  app.delete('/sessions', async (c) => {
    const scope = scopeQuery.safeParse(c.req.query('scope'));
    if (!scope.success) throw new ApiError('invalid_request', 'scope must be "all" or "others".');
    const claims = c.get('claims');
    const { sessions, mfa } = await services();
    // Signing out the other devices (and keeping this one) is sensitive: with a second factor, it needs a fresh one.
    if (scope.data === 'others') await mfa.requireStepUp({ userId: claims.sub, sessionId: claims.sid });
    const revoked = await sessions.revokeAll(claims.sub, scope.data === 'others' ? claims.sid : undefined);
    return c.json({ revoked });
  });

  app.delete('/sessions/:id', async (c) => {
    const claims = c.get('claims');
    const { sessions } = await services();
    if (!(await sessions.revoke({ userId: claims.sub, sessionId: claims.sid }, c.req.param('id')))) {
      return errorResponse(c, 'not_found', 'No such session.');
    }
    return c.body(null, 204);
  });

  app.get('/security-events', async (c) => {
    const { rotation } = await services();
    c.header('Cache-Control', 'no-store');
    const events = await rotation.securityEvents(c.get('claims').sub);
    return c.json({ events: events.map(securityEventView) });
  });

  return app;
}
