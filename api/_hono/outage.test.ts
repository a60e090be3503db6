/** Redis down or slow: clear 503s within a bounded time, and a rotation is never half-done. */
import assert from 'node:assert/strict';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { familyKey } from '../../lib/redis/keys';
import { startTestEnvironment, uniqueEmail, type TestEnvironment } from '../../test/support/environment';

const PASSWORD = 'correct horse battery';
const TIMEOUT_MS = 300;

/** An HTTP proxy to the bridge that can hold back its answers (Redis ran the command; the reply is late). */
function slowProxy(target: string) {
  let delayMs = 0;
  const url = new URL(target);
  const server: Server = createServer((req, res) => {
    const upstream = request(
      { host: url.hostname, port: url.port, path: req.url, method: req.method, headers: req.headers },
      (answer) => {
        const chunks: Buffer[] = [];
        answer.on('data', (c: Buffer) => chunks.push(c));
        answer.on('end', () =>
          setTimeout(() => {
            if (res.destroyed) return;
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            res.end(Buffer.concat(chunks));
          }, delayMs),
        );
      },
    );
    req.pipe(upstream);
  });
  return {
    listen: () => new Promise<string>((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`))),
    setDelay: (ms: number) => (delayMs = ms),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('when Redis is unreachable', () => {
  let env: TestEnvironment;
  before(async () => {
    // Nothing listens on port 9 of loopback: every Redis call is refused.
    env = await startTestEnvironment({ UPSTASH_REDIS_REST_URL: 'http://127.0.0.1:9', REDIS_TIMEOUT_MS: String(TIMEOUT_MS) });
    // Open the database connection first: the health probe's short timeout is about Redis, and a cold
    // connection on a busy machine can take longer than it (the database then read as "down").
    await env.services.users.ping();
  });
  after(() => env.close());

  test('sign-up, sign-in and refresh answer 503 service_unavailable quickly, and health says which dependency is down', async () => {
    const email = uniqueEmail('outage');
    // Rate limits fail closed: without Redis nobody can count attempts, so nothing is let through.
    for (const [path, body] of [
      ['/api/v1/auth/signup', { email, password: PASSWORD }],
      ['/api/v1/auth/signin', { email, password: PASSWORD }],
      ['/api/v1/auth/refresh-token', { refresh_token: 'rt1.AAAAAAAAAAAAAAAAAAAAAA.zzzzzz.' + 'A'.repeat(43) + '.' + 'A'.repeat(22) }],
    ] as const) {
      const started = Date.now();
      const res = await env.post(path, body);
      const elapsed = Date.now() - started;
      if (path.endsWith('refresh-token')) {
        // A forged token is refused before Redis is even asked.
        assert.equal(res.status, 401);
        continue;
      }
      assert.equal(res.status, 503, path);
      assert.equal(((await res.json()) as any).error.code, 'service_unavailable');
      assert.ok(res.headers.get('retry-after'));
      assert.ok(elapsed < 5 * TIMEOUT_MS + 1_000, `${path} answered in ${elapsed} ms`);
    }
    const health = await fetch(`${env.baseUrl}/api/health`);
    assert.equal(health.status, 503);
    const report = (await health.json()) as any;
    assert.equal(report.checks.redis.status, 'down');
    assert.equal(report.checks.database.status, 'up');
  });
});

describe('when Redis answers too late', () => {
  let env: TestEnvironment;
  let proxy: ReturnType<typeof slowProxy>;
  before(async () => {
    const direct = await startTestEnvironment();
    proxy = slowProxy(direct.config.UPSTASH_REDIS_REST_URL);
    const url = await proxy.listen();
    // A second app on the same bridge, but reaching it through the proxy.
    env = await startTestEnvironment({
      UPSTASH_REDIS_REST_URL: url,
      UPSTASH_REDIS_REST_TOKEN: direct.config.UPSTASH_REDIS_REST_TOKEN,
      REDIS_TIMEOUT_MS: String(TIMEOUT_MS),
      REFRESH_GRACE_SECONDS: '10',
    });
    (env as any).direct = direct;
  });
  after(async () => {
    await env.close();
    await proxy.close();
    await (env as any).direct.close();
  });

  test('a refresh whose reply was lost is answered 503, and retrying the same token gets the successor Redis recorded', async () => {
    const email = uniqueEmail('slow');
    assert.equal((await env.post('/api/v1/auth/signup', { email, password: PASSWORD })).status, 201);
    const session = (await (await env.post('/api/v1/auth/signin', { email, password: PASSWORD })).json()) as any;

    proxy.setDelay(TIMEOUT_MS * 3);
    const lost = await env.post('/api/v1/auth/refresh-token', { refresh_token: session.refreshToken });
    assert.equal(lost.status, 503);
    proxy.setDelay(0);
    await new Promise((r) => setTimeout(r, TIMEOUT_MS * 3));

    const retry = await env.post('/api/v1/auth/refresh-token', { refresh_token: session.refreshToken });
    assert.equal(retry.status, 200, 'the client keeps its session');
    const next = ((await retry.json()) as any).refresh_token;
    assert.equal(await env.services.redis.hget(familyKey(session.sessionId), 'rot'), '1', 'rotated exactly once');
    assert.equal((await env.post('/api/v1/auth/refresh-token', { refresh_token: next })).status, 200, 'and the chain continues');
  });
});
