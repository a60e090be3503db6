/** The cached connectivity probe: one PING per interval, and a dead Redis is reported quickly. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createRedis, type Redis } from './client';
import { ConnectivityProbe } from './connectivity';
import { sleep, startTestRedis } from '../../test/support/environment';

let redis: Redis;
let close: () => Promise<void>;
before(async () => {
  ({ redis, close } = await startTestRedis());
});
after(() => close());

test('reports a live Redis as up and pings at most once per interval', async () => {
  let pings = 0;
  const counting = Object.assign(Object.create(redis), { ping: () => (pings++, redis.ping()) }) as Redis;
  const probe = new ConnectivityProbe(counting, 200, 500);
  assert.equal(await probe.isUp(), true);
  for (let i = 0; i < 50; i++) await probe.isUp();
  assert.equal(pings, 1);
  await sleep(250);
  await probe.isUp();
  await sleep(20);
  assert.equal(pings, 2);
});

test('reports an unreachable Redis as down within the timeout', async () => {
  // Port 9 (discard) on loopback: nothing listens, so the connection is refused.
  const dead = createRedis({ url: 'http://127.0.0.1:9', token: 'x', timeoutMs: 300 });
  const probe = new ConnectivityProbe(dead, 1_000, 300);
  const started = Date.now();
  assert.equal(await probe.isUp(), false);
  assert.ok(Date.now() - started < 1_500);
});
