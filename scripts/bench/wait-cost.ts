/**
 * What REDIS_WAIT_REPLICAS costs a sign-out: the revoke script alone, then followed by WAIT 1 with a
 * healthy replica, then WAIT 1 with the replication link broken (WAIT runs out its timeout). Real parts:
 * a redis-server primary and replica (test/support/redis-pair.ts), the bridge, the app's Redis client.
 *
 *   npx tsx scripts/bench/wait-cost.ts [--n 200] [--timeout-ms 200]
 */
import { parseArgs } from 'node:util';
import { createRedis } from '../../lib/redis/client';
import { RefreshTokenCodec } from '../../lib/tokens/refresh-token';
import { RotationEngine } from '../../lib/tokens/rotation';
import { startRedisPair } from '../../test/support/redis-pair';
import { startBridge } from '../../tools/upstash-bridge/server';

const { values } = parseArgs({
  options: { n: { type: 'string', default: '200' }, 'timeout-ms': { type: 'string', default: '200' } },
});
const n = Number(values.n);
const timeoutMs = Number(values['timeout-ms']);

const pair = await startRedisPair();
const token = crypto.randomUUID();
const bridge = await startBridge({ port: 0, token, redisUrl: pair.primary.url });
const redis = createRedis({ url: bridge.url, token, timeoutMs: 10_000 });
const codec = RefreshTokenCodec.create('wait-cost-secret-'.repeat(3));
const settings = { graceSeconds: 20, idleSeconds: 3600, absoluteSeconds: 7200, tombstoneSeconds: 900 };
const off = new RotationEngine(redis, codec, settings);
const on = new RotationEngine(redis, codec, { ...settings, replicaWait: { replicas: 1, timeoutMs } });

/** Median and 99th percentile of n sign-outs (start a family, then time its revocation). */
async function measure(engine: RotationEngine, runs: number): Promise<string> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const { familyId } = await engine.start({ userId: `wait-${i}`, provider: 'credentials' });
    const t0 = performance.now();
    await engine.revokeFamily(familyId, 'signout');
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))]!.toFixed(2);
  return `median ${at(0.5)} ms, p99 ${at(0.99)} ms`;
}

try {
  await measure(off, 20); // warm the script cache and connections
  console.log(`sign-out, no WAIT (REDIS_WAIT_REPLICAS=0):        ${await measure(off, n)}`);
  console.log(`sign-out + WAIT 1, replica healthy:              ${await measure(on, n)}`);
  await pair.breakLink();
  console.log(`sign-out + WAIT 1, link broken (timeout ${timeoutMs} ms): ${await measure(on, Math.min(n, 10))}`);
} finally {
  await bridge.close();
  await pair.stop();
}
