/**
 * @module One server span and one latency sample per API request: route (the pattern, never the path with its
 * ids), method, status and outcome. With telemetry off (the no-op sink) it only calls the next handler.
 */
import type { MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';
import { telemetry } from '../../lib/observability/telemetry';

/** `success`, `refused` (4xx: the caller's problem) or `error` (5xx: ours or a dependency's). */
const outcomeOf = (status: number) => (status < 400 ? 'success' : status < 500 ? 'refused' : 'error');

/** The middleware; mounted first, so it times everything after it. */
export const requestTelemetry: MiddlewareHandler = async (c, next) => {
  const sink = telemetry();
  if (!sink.enabled) return next();
  const started = performance.now();
  const method = c.req.method;
  const carrier: Record<string, string> = {};
  const parent = c.req.header('traceparent');
  if (parent) carrier.traceparent = parent;
  const state = c.req.header('tracestate');
  if (state) carrier.tracestate = state;
  let route = 'unmatched';
  await sink.span(
    `${method} api`,
    'server',
    { 'http.request.method': method },
    async (span) => {
      await next();
      const matched = routePath(c, -1);
      // Only middleware matched (the '*' of this one and the body limit): a 404 for an unknown path.
      if (matched && matched !== '*' && matched !== '/*') route = matched;
      const status = c.res.status;
      span.rename(`${method} ${route}`);
      span.set({ 'http.route': route, 'http.response.status_code': status, 'auth.outcome': outcomeOf(status) });
    },
    carrier,
  );
  sink.observe('http.server.request.duration', (performance.now() - started) / 1000, {
    route,
    method,
    status: String(c.res.status),
  });
};
