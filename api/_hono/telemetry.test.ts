/**
 * Telemetry end to end on real parts: the app registers OpenTelemetry as `npm run api` does, exports over real
 * HTTP to an in-process OTLP receiver, and serves Prometheus text that a real `prometheus` (Debian) scrapes.
 * A refresh makes a span tree (request → Redis pipeline), moves its outcome counter by exactly one, and nothing
 * personal (email, user id, session id, tokens, client IP, user agent) appears in any span or data point.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { trace } from '@opentelemetry/api';
import { exchangeOAuthSignIn } from '../../nextauth/oauth-exchange';
import { startFaultProxy } from '../../tools/fault-proxy/proxy';
import { telemetry } from '../../lib/observability/telemetry';
import { registerNodeTelemetry, type NodeTelemetry } from '../../ops/telemetry/node';
import { latestValue, startOtlpReceiver, type OtlpReceiver } from '../../test/support/otlp-receiver';
import { freePort, startPrometheus, type Prometheus } from '../../test/support/prometheus';
import { startTestEnvironment, uniqueEmail, type TestEnvironment } from '../../test/support/environment';

const PASSWORD = 'correct horse battery staple';
const CLIENT_IP = '203.0.113.77';
const USER_AGENT = 'PrivacyProbe/9.9 (telemetry test)';
const browser = { 'x-real-ip': CLIENT_IP, 'user-agent': USER_AGENT };

let receiver: OtlpReceiver;
let otel: NodeTelemetry;
let env: TestEnvironment;
let metricsPort: number;

before(async () => {
  receiver = await startOtlpReceiver();
  metricsPort = await freePort();
  // The OTLP exporters read process.env themselves, as in production.
  Object.assign(process.env, {
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_SERVICE_NAME: 'auth-telemetry-test',
    // Exports happen when the test flushes, not on a timer.
    OTEL_METRIC_EXPORT_INTERVAL: '3600000',
    METRICS_PORT: String(metricsPort),
  });
  const registered = await registerNodeTelemetry(process.env);
  assert.ok(registered, 'telemetry registered');
  otel = registered;
  env = await startTestEnvironment({ CLIENT_IP_SOURCE: 'vercel' });
});

after(async () => {
  await env?.close();
  await otel?.shutdown();
  await receiver?.close();
});

/** Signs up and in; the session's tokens and ids. */
async function signedIn() {
  const email = uniqueEmail('otel');
  assert.equal((await env.post('/api/v1/auth/signup', { email, password: PASSWORD }, browser)).status, 201);
  const res = await env.post('/api/v1/auth/signin', { email, password: PASSWORD }, browser);
  assert.equal(res.status, 200);
  const body = (await res.json()) as Record<string, string>;
  return { email, body };
}

/** Every string the app exported (span names, attributes, resources, data point labels), as raw JSON text. */
const everything = () => receiver.raw.join('\n');

test('a refresh makes a request span with a Redis child span, and moves its outcome counter by exactly one', async () => {
  const { email, body: first } = await signedIn();
  // The process's first refresh also loads the script (SCRIPT LOAD); measure a warm one, as in production.
  const warm = await env.post('/api/v1/auth/refresh-token', { refresh_token: first.refresh_token }, browser);
  assert.equal(warm.status, 200);
  const body = { ...first, ...((await warm.json()) as Record<string, string>) };
  await otel.flush();
  const before = latestValue(receiver.points, 'auth.refresh.outcomes', { outcome: 'rotated' });
  const spansBefore = receiver.spans.length;

  // A caller's trace context (NextAuth's, a browser's): the request span must continue it.
  const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
  const parentId = '00f067aa0ba902b7';
  const res = await env.post(
    '/api/v1/auth/refresh-token',
    { refresh_token: body.refresh_token },
    { ...browser, traceparent: `00-${traceId}-${parentId}-01` },
  );
  assert.equal(res.status, 200);
  const rotated = (await res.json()) as Record<string, string>;
  await otel.flush();

  const spans = receiver.spans.slice(spansBefore);
  const request = spans.find((s) => s.attributes['http.route'] === '/api/v1/auth/refresh-token');
  assert.ok(request, `a request span for the route; got ${spans.map((s) => s.name).join(', ')}`);
  assert.equal(request.name, 'POST /api/v1/auth/refresh-token');
  assert.equal(request.traceId, traceId, 'continues the caller trace');
  assert.equal(request.parentSpanId, parentId);
  assert.equal(request.attributes['http.response.status_code'], 200);
  assert.equal(request.attributes['auth.outcome'], 'success');
  assert.equal(request.attributes['auth.refresh.outcome'], 'rotated');

  const redis = spans.filter((s) => s.parentSpanId === request.spanId && s.attributes['db.system.name'] === 'redis');
  assert.equal(redis.length, 1, `one Redis request per refresh; got ${redis.map((s) => s.name).join(', ')}`);
  assert.equal(redis[0]!.name, 'redis PIPELINE');
  assert.equal(redis[0]!.attributes['db.operation.batch.size'], 1, 'the batched EVALSHA: one command');
  assert.equal(redis[0]!.traceId, traceId);
  assert.ok(!spans.some((s) => s.parentSpanId === request.spanId && s.attributes['db.system.name'] === 'postgresql'), 'no query');

  const after = latestValue(receiver.points, 'auth.refresh.outcomes', { outcome: 'rotated' });
  assert.equal(after - before, 1, 'the rotated counter moved by exactly one');
  const latency = receiver.points.filter(
    (p) => p.metric === 'http.server.request.duration' && p.attributes.route === '/api/v1/auth/refresh-token',
  );
  assert.ok(latency.length > 0 && latency.at(-1)!.value >= 1, 'the route latency histogram has the request');
  // Each process names itself, so a collector keeps API workers' series apart.
  assert.match(String(latency.at(-1)!.resource['service.instance.id']), new RegExp(`-${process.pid}$`));
  assert.equal(request.resource['service.name'], 'auth-telemetry-test');

  // A replay of the first token after the grace window would be reuse; within it, a replay: counted as such.
  const replay = await env.post('/api/v1/auth/refresh-token', { refresh_token: body.refresh_token }, browser);
  assert.equal(replay.status, 200);
  await otel.flush();
  assert.equal(latestValue(receiver.points, 'auth.refresh.outcomes', { outcome: 'replayed' }) >= 1, true);

  const secrets = [email, body.user_id, body.session_id, first.refresh_token, body.refresh_token, body.access_token];
  for (const secret of [...secrets, rotated.refresh_token, CLIENT_IP, USER_AGENT]) {
    assert.ok(secret && !everything().includes(secret), `exported telemetry contains ${secret?.slice(0, 12)}...`);
  }
});

test('sign-ins, sign-ups, refused tokens and database queries are counted and traced, by low-cardinality labels only', async () => {
  const { email } = await signedIn();
  assert.equal((await env.post('/api/v1/auth/signin', { email, password: 'wrong password!' }, browser)).status, 401);
  assert.equal((await env.post('/api/v1/auth/refresh-token', { refresh_token: 'rt1.nonsense' }, browser)).status, 401);
  await otel.flush();
  assert.ok(latestValue(receiver.points, 'auth.signins', { method: 'credentials', result: 'success' }) >= 1);
  assert.ok(latestValue(receiver.points, 'auth.signins', { method: 'credentials', result: 'invalid_credentials' }) >= 1);
  assert.ok(latestValue(receiver.points, 'auth.signups', { method: 'credentials', result: 'success' }) >= 1);
  assert.ok(latestValue(receiver.points, 'auth.refresh.outcomes', { outcome: 'invalid' }) >= 1);
  assert.ok(receiver.points.some((p) => p.metric === 'auth.db.duration' && p.attributes.model === 'User'));
  assert.ok(
    receiver.spans.some((s) => s.name === 'db User.findUnique' && s.parentSpanId),
    'a query is a child span',
  );
  // Every label of every data point, and every span attribute, is a short word: no ids, addresses or tokens.
  for (const p of receiver.points) {
    for (const [k, v] of Object.entries(p.attributes)) {
      assert.match(String(v), /^[A-Za-z0-9_./:-]{1,80}$/, `${p.metric} ${k}=${v}`);
      assert.doesNotMatch(String(v), /@|\d+\.\d+\.\d+\.\d+/, `${p.metric} ${k}=${v}`);
    }
  }
  for (const s of receiver.spans) {
    for (const [k, v] of Object.entries(s.attributes)) {
      assert.doesNotMatch(String(v), /@|203\.0\.113|rt1\.|eyJ/, `span ${s.name} ${k}=${v}`);
    }
  }
  assert.ok(!everything().includes(email));
});

test("NextAuth's OAuth exchange carries the trace context: the API's request span joins the page's trace", async () => {
  const spansBefore = receiver.spans.length;
  const email = uniqueEmail('oauth-otel');
  const result = await telemetry().span('GET /api/auth/callback/oidc', 'server', {}, () =>
    exchangeOAuthSignIn(
      {
        provider: 'oidc',
        providerAccountId: crypto.randomUUID(),
        profile: { email, emailVerified: true, name: null },
        tokens: { type: 'oidc', accessToken: 'provider-access-secret', idToken: 'eyJ.provider.id' },
      },
      {
        appUrl: env.baseUrl,
        callerSecret: env.config.OAUTH_CALLER_SECRET,
        context: { ip: CLIENT_IP, userAgent: USER_AGENT },
        // The deployment's edge (CLIENT_IP_SOURCE=vercel) names the calling server in X-Real-IP.
        fetchImpl: (url, init) =>
          fetch(url, { ...init, headers: { ...(init?.headers as Record<string, string>), 'x-real-ip': '198.51.100.9' } }),
      },
    ),
  );
  assert.ok(result.ok, JSON.stringify(result));
  await otel.flush();
  const spans = receiver.spans.slice(spansBefore);
  const page = spans.find((s) => s.name === 'GET /api/auth/callback/oidc');
  const api = spans.find((s) => s.attributes['http.route'] === '/api/v1/auth/oauth');
  assert.ok(page && api, `both spans exported; got ${spans.map((s) => s.name).join(', ')}`);
  assert.equal(api.traceId, page.traceId, 'one trace from the NextAuth callback to the API');
  assert.equal(api.attributes['auth.signin.method'], 'oidc');
  assert.equal(api.attributes['auth.signin.result'], 'success');
  assert.ok(latestValue(receiver.points, 'auth.signins', { method: 'oidc', result: 'success' }) >= 1);
  for (const secret of [email, result.session.userId, result.session.refreshToken, 'provider-access-secret', CLIENT_IP]) {
    assert.ok(!everything().includes(secret), `exported telemetry contains ${secret.slice(0, 12)}...`);
  }
});

test('a network fault between the API and Redis moves the failure counters: dependency failures, 503s, Redis errors', async () => {
  // Real faults (tools/fault-proxy) between a second API and the same bridge.
  const bridge = new URL(env.config.UPSTASH_REDIS_REST_URL);
  const proxy = await startFaultProxy({ targetHost: bridge.hostname, targetPort: Number(bridge.port) });
  const faulty = await startTestEnvironment({
    CLIENT_IP_SOURCE: 'vercel',
    UPSTASH_REDIS_REST_URL: `http://127.0.0.1:${proxy.port}`,
    UPSTASH_REDIS_REST_TOKEN: env.config.UPSTASH_REDIS_REST_TOKEN,
    REDIS_TIMEOUT_MS: '1000',
  });
  try {
    const email = uniqueEmail('fault');
    assert.equal((await faulty.post('/api/v1/auth/signup', { email, password: PASSWORD }, browser)).status, 201);
    const session = (await (await faulty.post('/api/v1/auth/signin', { email, password: PASSWORD }, browser)).json()) as Record<
      string,
      string
    >;
    await otel.flush();
    const failures = latestValue(receiver.points, 'auth.dependency_failures', { dependency: 'redis' });
    const redisErrors = latestValue(receiver.points, 'auth.redis.duration', { operation: 'PIPELINE', outcome: 'error' });
    await proxy.setMode('reset');
    const refused = await faulty.post('/api/v1/auth/refresh-token', { refresh_token: session.refresh_token }, browser);
    assert.equal(refused.status, 503);
    await proxy.setMode('pass');
    await otel.flush();
    assert.ok(latestValue(receiver.points, 'auth.dependency_failures', { dependency: 'redis' }) > failures);
    assert.ok(latestValue(receiver.points, 'auth.redis.duration', { operation: 'PIPELINE', outcome: 'error' }) > redisErrors);
    const unavailable = receiver.points.filter(
      (p) =>
        p.metric === 'http.server.request.duration' &&
        p.attributes.route === '/api/v1/auth/refresh-token' &&
        p.attributes.status === '503',
    );
    assert.ok(unavailable.length > 0, 'the 503 is in the latency histogram, by status');
  } finally {
    await faulty.close();
    await proxy.close();
  }
});

test("other instrumentations' spans are scrubbed before export: no query strings, no ids or emails in paths", async () => {
  const spansBefore = receiver.spans.length;
  // What Next.js and the fetch instrumentation write: the request target and full URLs.
  const span = trace.getTracer('next.js').startSpan('fetch GET https://mail.example/send?to=a%40example.com', {
    attributes: {
      'http.target': '/reset-password?token=Zm9vYmFyYmF6cXV4cXV1eA1234',
      'http.url': 'https://app.example/api/v1/auth/sessions/uyMpjg8UmmQcNyJUxCN41g',
      'url.query': 'token=secret-in-a-query',
      'next.route': '/api/v1/[[...route]]',
      'http.status_code': 200,
    },
  });
  span.end();
  await otel.flush();
  const exported = receiver.spans.slice(spansBefore).find((s) => s.attributes['next.route']);
  assert.ok(exported, 'the span was exported');
  assert.equal(exported.name, 'fetch GET https://mail.example/send');
  assert.equal(exported.attributes['http.target'], '/reset-password');
  assert.equal(exported.attributes['http.url'], 'https://app.example/api/v1/auth/sessions/:id');
  assert.equal(exported.attributes['url.query'], undefined);
  assert.equal(exported.attributes['next.route'], '/api/v1/[[...route]]');
  assert.equal(exported.attributes['http.status_code'], 200);
});

test('a real prometheus scrapes the metrics endpoint, and its query API answers with the outcome count', async () => {
  const { body } = await signedIn();
  assert.equal((await env.post('/api/v1/auth/refresh-token', { refresh_token: body.refresh_token }, browser)).status, 200);
  const text = await (await fetch(otel.metricsUrl!)).text();
  assert.match(text, /auth_refresh_outcomes_total\{[^}]*outcome="rotated"[^}]*\} \d+/);
  const expected = Number(/auth_refresh_outcomes_total\{[^}]*outcome="rotated"[^}]*\} (\d+)/.exec(text)![1]);
  let prometheus: Prometheus | undefined;
  try {
    prometheus = await startPrometheus({ targets: [`127.0.0.1:${metricsPort}`] });
    const value = await prometheus.waitForValue('sum(auth_refresh_outcomes_total{outcome="rotated"})', (v) => v >= expected);
    assert.ok(value >= expected, `prometheus has the rotated count (${value} >= ${expected})`);
  } finally {
    await prometheus?.close();
  }
});
