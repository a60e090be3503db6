/** Redis down or slow: clear 503s within a bounded time, and a rotation is never half-done. */
import assert from 'node:assert/strict';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { familyKey } from '../../lib/redis/keys';
import { startTestEnvironment, uniqueEmail, type TestEnvironment } from '../../test/support/environment';
import { startFaultProxy, type FaultProxy } from '../../tools/fault-proxy/proxy';

const PASSWORD = 'correct horse battery';

/**
 * An HTTP proxy to the bridge that can hold back Redis's answers: Redis has run the command, but its
 * reply waits in the proxy until released. Tests observe the order of events through it, not the clock.
 */
function holdingProxy(target: string) {
  let holding = false;
  const held: Array<() => void> = [];
  let forwarded = 0;
  let answered = 0;
  const answeredWaiters: Array<() => void> = [];
  const url = new URL(target);
  const server: Server = createServer((req, res) => {
    forwarded++;
    const upstream = request(
      { host: url.hostname, port: url.port, path: req.url, method: req.method, headers: req.headers },
      (answer) => {
        const chunks: Buffer[] = [];
        answer.on('data', (c: Buffer) => chunks.push(c));
        answer.on('end', () => {
          answered++;
          if (answered === forwarded) answeredWaiters.splice(0).forEach((wake) => wake());
          const deliver = () => {
            if (res.destroyed) return;
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            res.end(Buffer.concat(chunks));
          };
          if (holding) held.push(deliver);
          else deliver();
        });
      },
    );
    req.pipe(upstream);
  });
  return {
    listen: () =>
      new Promise<string>((resolve) =>
        server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)),
      ),
    /** From now on, answers wait in the proxy until release(). */
    hold: () => void (holding = true),
    /** How many of Redis's answers are waiting in the proxy. */
    heldCount: () => held.length,
    /** Delivers what was held (to callers that may have given up long ago) and stops holding. */
    release: () => {
      holding = false;
      held.splice(0).forEach((deliver) => deliver());
    },
    /** Resolves once Redis has answered every command forwarded so far (held or not). */
    redisCaughtUp: () => new Promise<void>((resolve) => (answered === forwarded ? resolve() : answeredWaiters.push(resolve))),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('when Redis is unreachable', () => {
  let env: TestEnvironment;
  before(async () => {
    // Nothing listens on port 9 of loopback: every Redis call is refused.
    env = await startTestEnvironment({ UPSTASH_REDIS_REST_URL: 'http://127.0.0.1:9' });
  });
  after(() => env.close());

  test('sign-up, sign-in and refresh answer 503 service_unavailable, and health says which dependency is down', async () => {
    const email = uniqueEmail('outage');
    // Rate limits fail closed: without Redis nobody can count attempts, so nothing is let through.
    for (const [path, body] of [
      ['/api/v1/auth/signup', { email, password: PASSWORD }],
      ['/api/v1/auth/signin', { email, password: PASSWORD }],
      [
        '/api/v1/auth/refresh-token',
        { refresh_token: 'rt1.AAAAAAAAAAAAAAAAAAAAAA.zzzzzz.' + 'A'.repeat(43) + '.' + 'A'.repeat(22) },
      ],
    ] as const) {
      const res = await env.post(path, body);
      if (path.endsWith('refresh-token')) {
        // A forged token is refused before Redis is even asked.
        assert.equal(res.status, 401);
        continue;
      }
      assert.equal(res.status, 503, path);
      assert.equal(((await res.json()) as any).error.code, 'service_unavailable');
      assert.ok(res.headers.get('retry-after'));
    }
    const health = await fetch(`${env.baseUrl}/api/health`);
    assert.equal(health.status, 503);
    const report = (await health.json()) as any;
    assert.deepEqual(
      { redis: [report.checks.redis.status, report.checks.redis.error], database: report.checks.database.status },
      { redis: ['down', 'unreachable'], database: 'up' },
    );
  });
});

describe('when Redis answers too late', () => {
  let env: TestEnvironment;
  let direct: TestEnvironment;
  let proxy: ReturnType<typeof holdingProxy>;
  before(async () => {
    direct = await startTestEnvironment();
    proxy = holdingProxy(direct.config.UPSTASH_REDIS_REST_URL);
    const url = await proxy.listen();
    // A second app on the same bridge, but reaching it through the proxy. The longest grace window, so
    // that however slow this machine is, the retry below is a replay, whatever the time between.
    env = await startTestEnvironment({
      UPSTASH_REDIS_REST_URL: url,
      UPSTASH_REDIS_REST_TOKEN: direct.config.UPSTASH_REDIS_REST_TOKEN,
      REFRESH_GRACE_SECONDS: '120',
    });
  });
  after(async () => {
    proxy.release();
    await env.close();
    await proxy.close();
    await direct.close();
  });

  test('a request whose Redis reply never comes answers 503 without waiting for it, and health names Redis', async () => {
    proxy.hold();
    try {
      const res = await env.post('/api/v1/auth/signin', { email: uniqueEmail('held'), password: PASSWORD });
      assert.equal(res.status, 503);
      assert.equal(((await res.json()) as any).error.code, 'service_unavailable');
      assert.ok(proxy.heldCount() > 0, "the 503 came while Redis's answer was still held back");
      const report = (await (await fetch(`${env.baseUrl}/api/health`)).json()) as any;
      assert.deepEqual([report.checks.redis.status, report.checks.redis.error], ['down', 'timeout']);
      assert.equal(report.checks.database.status, 'up');
    } finally {
      proxy.release();
    }
  });

  test('a refresh whose reply was lost is answered 503, and retrying the same token gets the successor Redis recorded', async () => {
    const email = uniqueEmail('slow');
    assert.equal((await env.post('/api/v1/auth/signup', { email, password: PASSWORD })).status, 201);
    const session = (await (await env.post('/api/v1/auth/signin', { email, password: PASSWORD })).json()) as any;
    // One refresh first, so Redis knows the rotation script and the held request below runs it at once.
    const first = await env.refresh(session.refresh_token);
    assert.equal(first.status, 200);
    const token: string = first.body.refresh_token;

    proxy.hold();
    const lost = await env.post('/api/v1/auth/refresh-token', { refresh_token: token });
    assert.equal(lost.status, 503);
    proxy.release();
    // Redis ran the rotation; only its answer was lost on the way back.
    await proxy.redisCaughtUp();
    assert.equal(await env.services.redis.hget(familyKey(session.session_id), 'rot'), '2', 'Redis rotated the token');

    const retry = await env.post('/api/v1/auth/refresh-token', { refresh_token: token });
    assert.equal(retry.status, 200, 'the client keeps its session');
    const next = ((await retry.json()) as any).refresh_token;
    assert.equal(await env.services.redis.hget(familyKey(session.session_id), 'rot'), '2', 'rotated exactly once');
    assert.equal((await env.post('/api/v1/auth/refresh-token', { refresh_token: next })).status, 200, 'and the chain continues');
  });
});

describe('when the database is unreachable', () => {
  let env: TestEnvironment;
  before(async () => {
    // Nothing listens on port 9: every connection the driver opens is refused.
    env = await startTestEnvironment({ DATABASE_URL: 'postgresql://postgres@127.0.0.1:9/authtest' });
  });
  after(() => env.close());

  test('sign-up and sign-in answer 503 service_unavailable, and health names the database', async () => {
    for (const path of ['/api/v1/auth/signup', '/api/v1/auth/signin']) {
      const res = await env.post(path, { email: uniqueEmail('nodb'), password: PASSWORD });
      assert.equal(res.status, 503, path);
      assert.equal(((await res.json()) as any).error.code, 'service_unavailable');
    }
    const health = await fetch(`${env.baseUrl}/api/health`);
    assert.equal(health.status, 503);
    const report = (await health.json()) as any;
    assert.deepEqual(
      { redis: report.checks.redis.status, database: [report.checks.database.status, report.checks.database.error] },
      { redis: 'up', database: ['down', 'unreachable'] },
    );
  });
});

describe('when the REST endpoint stalls or refuses connections (a real fault proxy in front of it)', () => {
  let env: TestEnvironment;
  let direct: TestEnvironment;
  let faults: FaultProxy;
  before(async () => {
    direct = await startTestEnvironment();
    const bridge = new URL(direct.config.UPSTASH_REDIS_REST_URL);
    faults = await startFaultProxy({ targetHost: bridge.hostname, targetPort: Number(bridge.port) });
    env = await startTestEnvironment({
      UPSTASH_REDIS_REST_URL: `http://127.0.0.1:${faults.port}`,
      UPSTASH_REDIS_REST_TOKEN: direct.config.UPSTASH_REDIS_REST_TOKEN,
      REDIS_TIMEOUT_MS: '300',
    });
  });
  after(async () => {
    await faults.setMode('pass');
    await env.close();
    await faults.close();
    await direct.close();
  });

  for (const mode of ['stall', 'refuse'] as const) {
    test(`${mode}: protected routes and refresh answer 503 with Retry-After, and the same token works once it is back`, async () => {
      const email = uniqueEmail(mode);
      assert.equal((await env.post('/api/v1/auth/signup', { email, password: PASSWORD })).status, 201);
      const session = (await (await env.post('/api/v1/auth/signin', { email, password: PASSWORD })).json()) as any;
      await faults.setMode(mode);
      try {
        const devices = await fetch(`${env.baseUrl}/api/v1/auth/sessions`, {
          headers: { authorization: `Bearer ${session.access_token}` },
        });
        const refresh = await env.post('/api/v1/auth/refresh-token', { refresh_token: session.refresh_token });
        for (const res of [devices, refresh]) {
          assert.equal(res.status, 503);
          assert.equal(((await res.json()) as any).error.code, 'service_unavailable');
          assert.ok(Number(res.headers.get('retry-after')) >= 1);
        }
      } finally {
        await faults.setMode('pass');
      }
      const after = await env.refresh(session.refresh_token);
      assert.equal(after.status, 200, 'the session outlived the outage');
      assert.equal((await env.refresh(after.body.refresh_token)).status, 200);
    });
  }
});
