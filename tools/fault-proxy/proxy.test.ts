/** The fault proxy against a real HTTP server: it passes, stalls, refuses and resets, and recovers on the same port. */
import assert from 'node:assert/strict';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { startFaultProxy, type FaultProxy } from './proxy';

let upstream: http.Server;
let seen = 0;
let proxy: FaultProxy;
before(async () => {
  upstream = http.createServer((_req, res) => {
    seen++;
    res.end('x'.repeat(100_000));
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  proxy = await startFaultProxy({ targetHost: '127.0.0.1', targetPort: (upstream.address() as AddressInfo).port });
});
after(async () => {
  await proxy.close();
  upstream.close();
});

/** GET through the proxy on a fresh connection: the body length, or the error code. */
const get = () =>
  new Promise<number | string>((resolve) => {
    const req = http.get({ host: '127.0.0.1', port: proxy.port, agent: false }, (res) => {
      let length = 0;
      res.on('data', (chunk: Buffer) => (length += chunk.length));
      res.on('end', () => resolve(length));
      res.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
    });
    req.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
  });

test('passes traffic through', async () => {
  assert.equal(await get(), 100_000);
});

test('a stall holds a request until traffic passes again, then it completes', async () => {
  await proxy.setMode('stall');
  const before = seen;
  const pending = get();
  let settled = false;
  void pending.then(() => (settled = true));
  // Several turns of the event loop: the bytes sit in the proxy, the server never sees the request.
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
  assert.equal(settled, false);
  assert.equal(seen, before);
  await proxy.setMode('pass');
  assert.equal(await pending, 100_000);
});

test('refusing closes the port (ECONNREFUSED), and passing reopens the same one', async () => {
  await proxy.setMode('refuse');
  assert.equal(await get(), 'ECONNREFUSED');
  await proxy.setMode('pass');
  assert.equal(await get(), 100_000);
});

test('reset mode cuts each connection once the server starts answering', async () => {
  await proxy.setMode('reset');
  const before = seen;
  const outcome = await get();
  assert.equal(typeof outcome, 'string', `a network error, not a body (${outcome})`);
  assert.equal(seen, before + 1, 'the server did answer');
  assert.ok(proxy.resets >= 1);
  await proxy.setMode('pass');
  assert.equal(await get(), 100_000);
});

test('refusing with a connection open resets it and still closes the port', async () => {
  // A pooled client (PostgreSQL's, the REST client's keep-alive) holds its connection open across the switch.
  const held = net.connect(proxy.port, '127.0.0.1');
  await new Promise<void>((resolve) => held.once('connect', () => resolve()));
  const closed = new Promise<string>((resolve) => {
    held.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
    held.once('close', () => resolve('closed'));
  });
  await proxy.setMode('refuse');
  assert.match(await closed, /ECONNRESET|closed/);
  assert.equal(await get(), 'ECONNREFUSED');
  await proxy.setMode('pass');
  assert.equal(await get(), 100_000);
});
