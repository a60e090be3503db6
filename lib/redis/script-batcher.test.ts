/** The script batcher on real Redis: many callers, one round trip, each its own reply and its own error. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestRedis } from '../../test/support/environment';
import type { Redis } from './client';
import { ScriptBatcher } from './script-batcher';

let redis: Redis;
let close: () => Promise<void>;
before(async () => {
  ({ redis, close } = await startTestRedis());
});
after(() => close());

const prefix = `batcher:${crypto.randomUUID()}`;
const INCR_BY = "return redis.call('INCRBY', KEYS[1], ARGV[1])";

test('concurrent calls each get their own reply, in one pipeline request', async () => {
  const pipelines: number[] = [];
  const counting = Object.assign(Object.create(redis), {
    pipeline: () => (pipelines.push(1), redis.pipeline()),
  }) as Redis;
  const batcher = new ScriptBatcher<number>(counting, INCR_BY);
  const replies = await Promise.all(Array.from({ length: 50 }, (_, i) => batcher.exec([`${prefix}:k${i}`], [String(i + 1)])));
  assert.deepEqual(replies, Array.from({ length: 50 }, (_, i) => i + 1));
  assert.equal(pipelines.length, 1);
});

test('one failing call rejects alone; the others succeed', async () => {
  await redis.set(`${prefix}:text`, 'not a number');
  const batcher = new ScriptBatcher<number>(redis, INCR_BY);
  const [good, bad] = await Promise.allSettled([batcher.exec([`${prefix}:n`], ['5']), batcher.exec([`${prefix}:text`], ['1'])]);
  assert.deepEqual(good, { status: 'fulfilled', value: 5 });
  assert.equal(bad.status, 'rejected');
});

test('a flushed script cache is reloaded transparently', async () => {
  const batcher = new ScriptBatcher<number>(redis, INCR_BY);
  assert.equal(await batcher.exec([`${prefix}:f`], ['1']), 1);
  await redis.scriptFlush();
  assert.equal(await batcher.exec([`${prefix}:f`], ['1']), 2);
});
