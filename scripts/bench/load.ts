/**
 * @module Closed-loop HTTP load with autocannon for the no-op route and the refresh route, driven the
 * same way (same connections, same per-request setup and JSON parsing), so their ratio is fair.
 * Each refresh connection owns one session and always presents that session's newest token.
 */
import autocannon, { type AutocannonClient, type AutocannonRequest } from 'autocannon';

/** A session the refresh load rotates. */
export interface BenchSession {
  id: string;
  token: string;
  /** A request is out whose answer we have not seen (the run ended first). */
  inflight: boolean;
  rotations: number;
  failures: number;
}

/** The numbers of one autocannon run. */
export interface LoadResult {
  route: string;
  connections: number;
  seconds: number;
  requests: number;
  ok: number;
  non2xx: number;
  errors: number;
  okPerSecond: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
}

interface SessionContext extends Record<string, unknown> {
  session?: BenchSession;
}

/** Runs autocannon against GET /api/v1/noop or POST /api/v1/auth/refresh-token. */
export async function runLoad(opts: {
  url: string;
  route: 'noop' | 'refresh';
  connections: number;
  seconds: number;
  sessions?: BenchSession[];
}): Promise<LoadResult> {
  const sessions = opts.sessions ?? [];
  if (opts.route === 'refresh' && sessions.length < opts.connections) {
    throw new Error(`refresh load needs a session per connection (${sessions.length} < ${opts.connections})`);
  }
  let next = 0;
  const request: AutocannonRequest =
    opts.route === 'noop'
      ? {
          method: 'GET',
          path: '/api/v1/noop',
          // Same per-request work in the client as the refresh route: rebuild and parse JSON.
          setupRequest: (req) => ({ ...req }),
          onResponse: (_status, body) => void JSON.parse(body),
        }
      : {
          method: 'POST',
          path: '/api/v1/auth/refresh-token',
          headers: { 'content-type': 'application/json' },
          setupRequest: (req, context) => {
            const s = (context as SessionContext).session;
            if (s) s.inflight = true;
            return { ...req, body: JSON.stringify({ refresh_token: s?.token ?? '' }) };
          },
          onResponse: (status, body, context) => {
            const s = (context as SessionContext).session;
            if (!s) return;
            s.inflight = false;
            const parsed = JSON.parse(body) as { refresh_token?: string };
            if (status === 200 && parsed.refresh_token) {
              s.token = parsed.refresh_token;
              s.rotations += 1;
            } else s.failures += 1;
          },
        };
  const result = await autocannon({
    url: opts.url,
    connections: opts.connections,
    duration: opts.seconds,
    pipelining: 1,
    timeout: 30,
    requests: [request],
    setupClient:
      opts.route === 'refresh'
        ? (client: AutocannonClient) => {
            // autocannon resets a connection's context after every pass over `requests`; this one
            // must keep its session (the newest token) for the whole run, so the reset is disabled.
            const iterator = client.requestIterator;
            iterator.resetContext = () => {};
            iterator.context.session = sessions[next++];
            iterator.rebuildRequest();
          }
        : undefined,
  });
  return {
    route: opts.route,
    connections: opts.connections,
    seconds: result.duration,
    requests: result.requests.total,
    ok: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    okPerSecond: result['2xx'] / result.duration,
    latencyMs: {
      p50: result.latency.p50,
      p90: result.latency.p90,
      p99: result.latency.p99,
      max: result.latency.max,
      mean: result.latency.mean,
    },
  };
}
