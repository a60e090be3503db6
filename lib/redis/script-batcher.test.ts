/** The script batcher on real Redis: many callers, one round trip, each its own reply and its own error. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
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

/**
 * Caches the script on the node of every key (INCRBY 0), so a test that counts pipelines sees no EVAL
 * fallback on a Redis Cluster whose SCRIPT LOAD reached one master only (scripts/test/cluster.sh).
 */
const cachedFor = (keys: string[]) => Promise.all(keys.map((key) => redis.eval(INCR_BY, [key], ['0'])));

test('concurrent calls each get their own reply, in one pipeline request', async () => {
  const pipelines: number[] = [];
  const counting = Object.assign(Object.create(redis), {
    pipeline: () => (pipelines.push(1), redis.pipeline()),
  }) as Redis;
  const batcher = new ScriptBatcher<number>(counting, INCR_BY);
  await cachedFor(Array.from({ length: 50 }, (_, i) => `${prefix}:k${i}`));
  const replies = await Promise.all(Array.from({ length: 50 }, (_, i) => batcher.exec([`${prefix}:k${i}`], [String(i + 1)])));
  assert.deepEqual(
    replies,
    Array.from({ length: 50 }, (_, i) => i + 1),
  );
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

test('NOSCRIPT falls back to EVAL in the same call, even when SCRIPT LOAD reached another node', async () => {
  // A SCRIPT LOAD that lands on some other node (a proxy in front of a cluster): the SHA is right, this
  // node never got the script, and loading it again would miss again.
  const elsewhere = Object.assign(Object.create(redis), {
    scriptLoad: async (script: string) => createHash('sha1').update(script).digest('hex'),
  }) as Redis;
  const script = `${INCR_BY} -- ${crypto.randomUUID()}`; // never loaded anywhere
  const batcher = new ScriptBatcher<number>(elsewhere, script);
  const replies = await Promise.all(Array.from({ length: 20 }, (_, i) => batcher.exec([`${prefix}:nl${i}`], ['3'])));
  assert.deepEqual(replies, Array(20).fill(3));
  assert.equal(await batcher.exec([`${prefix}:nl0`], ['1']), 4);
});

test('the EVAL fallback of a large batch is split into requests the server accepts', async () => {
  // 20 EVALs of a 100 KB script would be a 2 MB request; the bridge, like any server, caps request size.
  const script = `${INCR_BY} -- ${crypto.randomUUID()}${' '.repeat(100_000)}`;
  const batcher = new ScriptBatcher<number>(redis, script);
  await batcher.exec([`${prefix}:big0`], ['1']); // load it, then make every node forget it
  await redis.scriptFlush();
  const replies = await Promise.all(Array.from({ length: 20 }, (_, i) => batcher.exec([`${prefix}:big${i + 1}`], ['1'])));
  assert.deepEqual(replies, Array(20).fill(1));
});

/** The real client, whose n-th pipeline (0-based) waits for `gate(n)` before it reaches Redis. */
function gatedPipelines(gate: (n: number) => Promise<unknown>) {
  let count = 0;
  const client = Object.assign(Object.create(redis), {
    pipeline: () => {
      const real = redis.pipeline();
      const opened = gate(count++);
      return Object.assign(Object.create(real), {
        evalsha: (...args: Parameters<typeof real.evalsha>) => (real.evalsha(...args), undefined),
        exec: async (...args: Parameters<typeof real.exec>) => {
          await opened;
          return real.exec(...args);
        },
      });
    },
  }) as Redis;
  return { client, pipelines: () => count };
}

/** A promise and the function that resolves it. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

const nextMacrotask = () => new Promise((r) => setImmediate(r));

test('calls made while a pipeline is out wait and leave together in the next one', async () => {
  const first = gate();
  const { client, pipelines } = gatedPipelines((n) => (n === 0 ? first.opened : Promise.resolve()));
  // Never overdue within this test: only the order of events decides.
  const batcher = new ScriptBatcher<number>(client, INCR_BY, { overdueMs: 60_000 });
  await cachedFor(Array.from({ length: 21 }, (_, i) => `${prefix}:w${i}`));
  const firstReply = batcher.exec([`${prefix}:w0`], ['1']);
  // The first pipeline leaves once the script's SHA is known (a round trip): wait for it, not for a guess.
  while (pipelines() < 1) await nextMacrotask();
  // Twenty calls, each in its own macrotask, as concurrent HTTP requests arrive, all while the first is out.
  const later: Promise<number>[] = [];
  for (let i = 0; i < 20; i++) {
    later.push(batcher.exec([`${prefix}:w${i + 1}`], ['1']));
    await nextMacrotask();
  }
  assert.equal(pipelines(), 1, 'nothing left while the first pipeline was out');
  first.open();
  assert.deepEqual(await Promise.all([firstReply, ...later]), Array(21).fill(1));
  assert.equal(pipelines(), 2);
});

// Without the overdue rule this test would wait forever on `next`: the runner's timeout turns that into a failure.
test('an overdue pipeline does not hold back the calls after it', { timeout: 60_000 }, async () => {
  const stalled = gate();
  const { client } = gatedPipelines((n) => (n === 0 ? stalled.opened : Promise.resolve()));
  const batcher = new ScriptBatcher<number>(client, INCR_BY, { overdueMs: 20 });
  const slow = batcher.exec([`${prefix}:o1`], ['1']);
  // A later timer than the batcher's 20 ms one: timers fire in the order they are due, so it is overdue by now.
  await new Promise((r) => setTimeout(r, 50));
  const next = batcher.exec([`${prefix}:o2`], ['1']);
  // The first pipeline stays stalled until the next call has its answer.
  assert.equal(await next, 1, 'the call after an overdue pipeline went ahead of it');
  stalled.open();
  assert.equal(await slow, 1);
});
