/**
 * The standalone server as ops run it: a real `node` process (and its cluster workers) on the real
 * bridge, Redis and PostgreSQL. Bad settings stop it with their names; workers share one port and one
 * session state; a dying worker takes the server down so its supervisor restarts it whole.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { childPids, freePort } from '../../test/support/processes';
import { freshSecrets } from '../../lib/config/secrets';
import { TEST_DATABASE_URL, uniqueEmail } from '../../test/support/environment';
import { startBridge, type Bridge } from '../../tools/upstash-bridge/server';
import { parseServerSettings } from './server';
import { ConfigError } from '../../lib/config/env';

let bridge: Bridge;
let baseEnv: NodeJS.ProcessEnv;
before(async () => {
  const token = crypto.randomUUID();
  bridge = await startBridge({ port: 0, token });
  baseEnv = {
    PATH: process.env.PATH ?? '',
    NODE_ENV: 'test',
    UPSTASH_REDIS_REST_URL: bridge.url,
    UPSTASH_REDIS_REST_TOKEN: token,
    DATABASE_URL: TEST_DATABASE_URL,
    PASSWORD_PBKDF2_ITERATIONS: '1000',
    // Every test signs in from 127.0.0.1, and the limits' windows in Redis span the whole run.
    RATE_LIMIT_SIGNIN_PER_IP: '100000/60',
    RATE_LIMIT_SIGNUP_PER_IP: '100000/60',
    // Sign-up answers 201 and the user signs in at once, as in test/support/environment.ts.
    EMAIL_VERIFICATION: 'off',
    ...(await freshSecrets()),
  };
});
after(() => bridge.close());

interface Server {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

/** Starts `node --import tsx api/_hono/server.ts` with `env` on top of a valid environment. */
function startServer(env: Record<string, string>): Server {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'api/_hono/server.ts'], {
    env: { ...baseEnv, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d));
  child.stderr?.on('data', (d: Buffer) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code: number | null) => resolve(code)));
  return { child, output: () => output, exited };
}

async function until(what: string, condition: () => boolean, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * POSTs JSON on a connection of its own: the cluster primary hands out connections, not requests,
 * round-robin, so consecutive calls land on alternating workers.
 */
function postOnNewConnection(
  base: string,
  path: string,
  body: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(base + path, { method: 'POST', agent: false, headers: { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> }));
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

describe('server settings', () => {
  test('defaults: port 8787 on 127.0.0.1, one process', () => {
    assert.deepEqual(parseServerSettings({}), { PORT: 8787, HOST: '127.0.0.1', API_WORKERS: 1 });
  });

  test('bad values are refused with their names', () => {
    assert.throws(
      () => parseServerSettings({ API_WORKERS: '0', PORT: 'http' }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.match(error.message, /API_WORKERS: must be a whole number from 1 to 64/);
        assert.match(error.message, /PORT: must be a whole number from 0 to 65535/);
        return true;
      },
    );
  });

  test('the server refuses to start on a bad setting and names it, with the app config problems too', async () => {
    const server = startServer({ API_WORKERS: 'many', REFRESH_TOKEN_SECRET: 'short' });
    assert.equal(await server.exited, 1);
    assert.match(server.output(), /API_WORKERS: must be a whole number/);
    assert.match(server.output(), /REFRESH_TOKEN_SECRET: must be at least 32 characters/);
  });
});

describe('API_WORKERS=2', () => {
  let server: Server;
  let url: string;
  before(async () => {
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    server = startServer({ PORT: String(port), API_WORKERS: '2' });
    await until('both workers listening', () => server.output().includes('(2 workers)'));
  });
  after(() => {
    if (server.child.exitCode === null) server.child.kill('SIGKILL');
  });

  test('runs two worker processes that rotate one session between them', async () => {
    assert.equal(childPids(server.child.pid!).length, 2);
    const email = uniqueEmail();
    assert.equal(
      (await postOnNewConnection(url, '/api/v1/auth/signup', { email, password: 'correct horse battery' })).status,
      201,
    );
    const signin = await postOnNewConnection(url, '/api/v1/auth/signin', { email, password: 'correct horse battery' });
    assert.equal(signin.status, 200);
    let token = signin.body.refresh_token as string;
    for (let i = 0; i < 10; i++) {
      const res = await postOnNewConnection(url, '/api/v1/auth/refresh-token', { refresh_token: token });
      assert.equal(res.status, 200);
      assert.notEqual(res.body.refresh_token, token);
      token = res.body.refresh_token as string;
    }
  });

  test('a worker that dies takes the server down with a failure code, leaving no process behind', async () => {
    const workers = childPids(server.child.pid!);
    process.kill(workers[0]!, 'SIGKILL');
    assert.equal(await server.exited, 1);
    assert.match(server.output(), /API worker \d+ exited \(SIGKILL\); stopping the server/);
    await until('the other worker to exit', () => !workers.some(alive), 10_000);
  });
});

test('SIGTERM stops the primary and its workers cleanly', async () => {
  const port = await freePort();
  const server = startServer({ PORT: String(port), API_WORKERS: '2' });
  await until('both workers listening', () => server.output().includes('(2 workers)'));
  const workers = childPids(server.child.pid!);
  server.child.kill('SIGTERM');
  assert.equal(await server.exited, 0);
  await until('the workers to exit', () => !workers.some(alive), 10_000);
});

describe('METRICS_PORT with API_WORKERS=2', () => {
  test('each worker serves its own Prometheus text on loopback, and together they count every refresh once', async () => {
    const port = await freePort();
    const metricsPort = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const server = startServer({ PORT: String(port), API_WORKERS: '2', METRICS_PORT: String(metricsPort) });
    try {
      await until('both workers listening', () => server.output().includes('(2 workers)'));
      assert.match(server.output(), new RegExp(`metrics \\(Prometheus text\\) on http://127\\.0\\.0\\.1:${metricsPort}/metrics`));
      assert.match(server.output(), new RegExp(`on http://127\\.0\\.0\\.1:${metricsPort + 1}/metrics`));
      const email = uniqueEmail();
      const password = 'correct horse battery';
      assert.equal((await postOnNewConnection(url, '/api/v1/auth/signup', { email, password })).status, 201);
      let token = (await postOnNewConnection(url, '/api/v1/auth/signin', { email, password })).body.refresh_token as string;
      for (let i = 0; i < 4; i++) {
        const res = await postOnNewConnection(url, '/api/v1/auth/refresh-token', { refresh_token: token });
        assert.equal(res.status, 200);
        token = res.body.refresh_token as string;
      }
      let rotated = 0;
      for (const p of [metricsPort, metricsPort + 1]) {
        const text = await (await fetch(`http://127.0.0.1:${p}/metrics`)).text();
        assert.match(text, /# TYPE auth_refresh_outcomes_total counter/);
        rotated += Number(/auth_refresh_outcomes_total\{outcome="rotated"\} (\d+)/.exec(text)?.[1] ?? 0);
      }
      assert.equal(rotated, 4);
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
    }
  });

  test('a bad METRICS_PORT stops the start and is named', async () => {
    const server = startServer({ METRICS_PORT: 'ninety' });
    assert.equal(await server.exited, 1);
    assert.match(server.output(), /METRICS_PORT/);
  });
});
