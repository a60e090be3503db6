/**
 * @module The Hono application: every HTTP route of the auth API. Framework-agnostic: mounted by
 * Next.js route files (edge) and served standalone on Node by api/_hono/server.ts.
 */
import { Hono } from 'hono';
import { getAppServices, type AppServices } from '../../lib/services/app-services';
import { errorResponse, toErrorResponse } from './errors';
import { authRoutes } from './routes/auth';
import { sessionRoutes } from './routes/sessions';
import { accountRoutes } from './routes/account';
import { passwordResetRoutes } from './routes/password-reset';
import { emailVerificationRoutes } from './routes/email-verification';
import { emailChangeRoutes } from './routes/email-change';
import { healthRoutes, jwksRoutes } from './routes/health';
import { mfaRoutes } from './routes/mfa';
import { passkeyRoutes } from './routes/passkeys';
import { MAX_BODY_BYTES } from './validation';
import { requestSizeLimit } from './body-limit';
import { requestTelemetry } from './telemetry';
import { telemetry } from '../../lib/observability/telemetry';

/** Builds the app over a (lazily built) set of services. */
export function createApp(services: () => Promise<AppServices> = getAppServices) {
  // No bindings: config comes from lib/config; routes behind the bearer guard declare its variables (bearer.ts).
  const app = new Hono();
  // Standalone (api/_hono/server.ts) telemetry is registered before the app is built, so with it off a request
  // does not even pass through the middleware. Under Next.js the route module may be evaluated before
  // instrumentation.ts registers, so there it is always mounted and checks per request (one property read).
  if (telemetry().enabled || process.env.NEXT_RUNTIME) app.use('*', requestTelemetry);
  app.use(
    '*',
    requestSizeLimit(MAX_BODY_BYTES, (c) =>
      errorResponse(c, 'payload_too_large', `Request body must be at most ${MAX_BODY_BYTES} bytes.`),
    ),
  );
  app.route('/api/v1/auth', authRoutes(services));
  app.route('/api/v1/auth', sessionRoutes(services));
  app.route('/api/v1/auth', accountRoutes(services));
  app.route('/api/v1/auth', passwordResetRoutes(services));
  app.route('/api/v1/auth', emailVerificationRoutes(services));
  app.route('/api/v1/auth', emailChangeRoutes(services));
  app.route('/api/v1/auth', mfaRoutes(services));
  app.route('/api/v1/auth', passkeyRoutes(services));
  app.route('/api/v1/.well-known/jwks.json', jwksRoutes(services));
  app.route('/api/health', healthRoutes(services));
  // A route that does nothing, as the baseline for throughput benchmarks.
  app.get('/api/v1/noop', (c) => c.json({ ok: true }));
  app.notFound((c) => errorResponse(c, 'not_found', `No route for ${c.req.method} ${c.req.path}.`));
  app.onError((error, c) => toErrorResponse(error, c));
  return app;
}

/** The app over the process-wide services. */
export const app = createApp();
