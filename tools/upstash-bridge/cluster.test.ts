/**
 * @module The bridge in cluster mode, on a real 3-master Redis Cluster (scripts/test/cluster.sh starts one
 * and sets REDIS_CLUSTER_NODES; skipped without it): routing by slot, and the app's scripts with SCRIPT LOAD
 * sent to every master or to one master only.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { Ratelimit } from '@upstash/ratelimit';
import { Redis as Upstash } from '@upstash/redis';
import { Redis as Node } from 'ioredis';
import { createRedis } from '../../lib/redis/client';
import { familyKey } from '../../lib/redis/keys';
import { RefreshTokenCodec } from '../../lib/tokens/refresh-token';
import { RotationEngine } from '../../lib/tokens/rotation';
import { ROTATE_SCRIPT } from '../../lib/tokens/rotation.lua';
import { slotOf } from '../../test/support/slots';
import { startBridge, type Bridge } from './server';

const nodes = (process.env.REDIS_CLUSTER_NODES ?? '').split(',').filter(Boolean);
const skip = nodes.length === 0 ? 'needs REDIS_CLUSTER_NODES (scripts/test/cluster.sh)' : false;
const token = randomBytes(24).toString('hex');
const prefix = `bridge-cluster:${randomUUID()}`;

/** The cluster's masters, each as a plain connection: to see where keys and scripts really are. */
let masters: Node[] = [];
before(async () => {
  if (skip) return;
  const seed = new Node(`redis://${nodes[0]}`);
  const shards = (await seed.call('CLUSTER', 'SHARDS')) as unknown[][];
  seed.disconnect();
  masters = shards.map((shard) => {
    const info = shard[3] as unknown[][]; // ["slots", [...], "nodes", [[...node fields]]]
    const fields = info.map((n) => Object.fromEntries(chunk(n))).find((n) => n.role === 'master') as Record<string, unknown>;
    return new Node({ host: String(fields.ip), port: Number(fields.port) });
  });
});
after(() => masters.forEach((m) => m.disconnect()));

function chunk(flat: unknown[]): [string, unknown][] {
  const pairs: [string, unknown][] = [];
  for (let i = 0; i < flat.length; i += 2) pairs.push([String(flat[i]), flat[i + 1]]);
  return pairs;
}

/** Which master holds a key (by asking each, not by computing). */
async function holderOf(key: string): Promise<number> {
  const found = await Promise.all(
    masters.map((m, i) => m.call('CLUSTER', 'COUNTKEYSINSLOT', slotOf(key)).then((n) => (Number(n) > 0 ? i : -1))),
  );
  return found.find((i) => i >= 0) ?? -1;
}

async function withBridge(scriptLoad: 'all' | 'one', body: (bridge: Bridge, redis: Upstash) => Promise<void>): Promise<void> {
  const bridge = await startBridge({ port: 0, token, clusterNodes: nodes, scriptLoad });
  try {
    await body(bridge, new Upstash({ url: bridge.url, token }));
  } finally {
    await bridge.close();
  }
}

/** Raw POST to the bridge, for commands the client has no method for. */
async function raw(bridge: Bridge, path: string, body: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(bridge.url + path, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

describe('cluster mode', { skip }, () => {
  test("a pipeline's commands each reach the master of their slot; slots agree with CLUSTER KEYSLOT", async () => {
    await withBridge('all', async (bridge, redis) => {
      const keys = Array.from({ length: 30 }, (_, i) => `${prefix}:route:${i}`);
      const pipeline = redis.pipeline();
      keys.forEach((key, i) => pipeline.set(key, i));
      await pipeline.exec();
      const holders = new Set(await Promise.all(keys.map(holderOf)));
      assert.equal(holders.size, masters.length, 'the keys are spread over every master');
      assert.deepEqual(await redis.mget(keys[0] as string), [0]);
      for (const key of [...keys.slice(0, 3), 'auth:{fam:abc}', 'auth:rl:signInPerIp:{1.2.3.4}:42', 'a{}b']) {
        const { body } = await raw(bridge, '/', ['CLUSTER', 'KEYSLOT', key]);
        assert.equal(body.result, slotOf(key), `slot of ${key}`);
      }
      await redis.del(...keys.slice(0, 1));
    });
  });

  test('SCAN walks every master, as one endpoint would: each key once, then cursor 0', async () => {
    await withBridge('all', async (bridge, redis) => {
      const keys = Array.from({ length: 90 }, (_, i) => `${prefix}:scan:${i}`);
      const pipeline = redis.pipeline();
      keys.forEach((key) => pipeline.set(key, 1));
      await pipeline.exec();
      assert.equal(new Set(await Promise.all(keys.map(holderOf))).size, masters.length, 'the keys are spread over every master');
      const seen: string[] = [];
      let cursor = '0';
      let calls = 0;
      do {
        const [next, batch] = await redis.scan(cursor, { match: `${prefix}:scan:*`, count: 10 });
        cursor = String(next);
        seen.push(...batch);
        assert.ok(++calls < 1000, 'the walk ends');
      } while (cursor !== '0');
      assert.deepEqual([...new Set(seen)].sort(), [...keys].sort());
      assert.equal((await raw(bridge, '/', ['SCAN', 'not-a-cursor'])).status, 400);
      await redis.del(...keys.slice(0, 1));
    });
  });

  test('a multi-key command over two slots is refused with CROSSSLOT, as on any cluster', async () => {
    await withBridge('all', async (bridge) => {
      const [a, b] = [`${prefix}:x`, `${prefix}:y`];
      assert.notEqual(slotOf(a), slotOf(b));
      const { status, body } = await raw(bridge, '/', ['MGET', a, b]);
      assert.equal(status, 400);
      assert.match(body.error, /CROSSSLOT/);
    });
  });

  for (const scriptLoad of ['all', 'one'] as const) {
    test(`SCRIPT LOAD on ${scriptLoad === 'all' ? 'every master' : 'one master only'}: rotations and rate limits on every master succeed`, async () => {
      await withBridge(scriptLoad, async (bridge, redis) => {
        await redis.scriptFlush(); // every master forgets every script
        const loaded = await redis.scriptLoad(ROTATE_SCRIPT);
        const holding = await Promise.all(masters.map((m) => m.call('SCRIPT', 'EXISTS', loaded) as Promise<number[]>));
        assert.equal(holding.filter(([has]) => has === 1).length, scriptLoad === 'all' ? masters.length : 1);

        const app = createRedis({ url: bridge.url, token, timeoutMs: 5_000 });
        const engine = new RotationEngine(app, RefreshTokenCodec.create('cluster-secret-'.repeat(3)), {
          graceSeconds: 5,
          idleSeconds: 3600,
          absoluteSeconds: 7200,
        });
        const started = await Promise.all(
          Array.from({ length: 60 }, () => engine.start({ userId: `u-${randomUUID()}`, provider: 'credentials' })),
        );
        assert.equal(new Set(await Promise.all(started.map((s) => holderOf(familyKey(s.familyId))))).size, masters.length);
        // One batch (one pipeline of EVALSHAs) over families on every master: on the masters without the script
        // the calls fall back to EVAL within the same call.
        const rotated = await Promise.all(started.map((s) => engine.rotate(s.refreshToken)));
        assert.deepEqual(new Set(rotated.map((r) => r.outcome)), new Set(['rotated']));
        const again = await Promise.all(rotated.map((r) => engine.rotate(r.refreshToken)));
        assert.deepEqual(new Set(again.map((r) => r.outcome)), new Set(['rotated']));

        const limiter = new Ratelimit({
          redis: app,
          prefix: `${prefix}:rl`,
          limiter: Ratelimit.slidingWindow(2, '60 s'),
          ephemeralCache: false,
        });
        const ids = Array.from({ length: 12 }, (_, i) => `{ip-${scriptLoad}-${i}}`);
        for (let round = 0; round < 3; round++) {
          const results = await Promise.all(ids.map((id) => limiter.limit(id)));
          assert.deepEqual(
            results.map((r) => r.success),
            Array(ids.length).fill(round < 2),
            `round ${round}`,
          );
        }
      });
    });
  }
});
