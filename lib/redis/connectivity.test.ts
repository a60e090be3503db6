/** The cached connectivity probe: one PING per interval, and a dead Redis is reported quickly. */
import assert from 'node:assert/strict';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { after, before, test } from 'node:test';
import { createRedis, type Redis } from './client';
import { ConnectivityProbe } from './connectivity';
import { startTestRedis } from '../../test/support/environment';

let redis: Redis;
let close: () => Promise<void>;
before(async () => {
  ({ redis, close } = await startTestRedis());
});
after(() => close());

test('reports a live Redis as up and pings at most once per interval', async () => {
  let pings = 0;
  const counting = Object.assign(Object.create(redis), { ping: () => (pings++, redis.ping()) }) as Redis;
  let now = 1_000_000;
  const probe = new ConnectivityProbe(counting, 200, 5_000, () => now);
  assert.equal(await probe.isUp(), true);
  for (let i = 0; i < 50; i++) await probe.isUp();
  await probe.settled();
  assert.equal(pings, 1, 'one ping within the interval');
  now += 250;
  assert.equal(await probe.isUp(), true, 'a stale answer is served while the next probe runs');
  await probe.settled();
  for (let i = 0; i < 50; i++) await probe.isUp();
  await probe.settled();
  assert.equal(pings, 2, 'one more ping once the interval has passed');
});

test('reports an unreachable Redis as down', async () => {
  // Port 9 (discard) on loopback: nothing listens, so the connection is refused.
  const dead = createRedis({ url: 'http://127.0.0.1:9', token: 'x', timeoutMs: 5_000 });
  const probe = new ConnectivityProbe(dead, 1_000, 5_000);
  assert.equal(await probe.isUp(), false);
});

test('reports a Redis that never answers as down, bounded by its own timeout', { timeout: 60_000 }, async () => {
  // A server that accepts connections and never says a word: only the probe's timeout ends the wait.
  const sockets = new Set<Socket>();
  const silent = createServer((socket) => void sockets.add(socket));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = silent.address() as AddressInfo;
    // The client's own abort is far later than the probe's timeout, so the probe's is the one that ends it.
    const hung = createRedis({ url: `http://127.0.0.1:${port}`, token: 'x', timeoutMs: 600_000 });
    const probe = new ConnectivityProbe(hung, 1_000, 300);
    assert.equal(await probe.isUp(), false);
  } finally {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
  }
});
