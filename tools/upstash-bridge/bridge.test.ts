/** @module upstash-bridge tests — drive the bridge with the real @upstash/redis client against a real redis-server. */
import assert from 'node:assert/strict';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { Ratelimit } from '@upstash/ratelimit';
import { Redis } from '@upstash/redis';
import { startBridge, type Bridge, type RecordedRequest } from './server';

const token = randomBytes(24).toString('hex');
const prefix = `upstash-bridge-test:${randomUUID()}:`;
const key = (name: string): string => prefix + name;

let bridge: Bridge;
let redis: Redis;

before(async () => {
  bridge = await startBridge({ port: 0, token });
  redis = new Redis({ url: bridge.url, token });
});

after(async () => {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  await bridge.close();
});

/** Raw HTTP call to the bridge, for protocol details the client hides. */
async function raw(path: string, init: RequestInit = {}): Promise<{ status: number; body: any }> {
  const headers = { authorization: `Bearer ${token}`, ...(init.headers as Record<string, string>) };
  const res = await fetch(bridge.url + path, { method: 'POST', ...init, headers });
  const text = await res.text();
  return { status: res.status, body: res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text };
}

test('strings, unicode and JSON values round-trip', async () => {
  await redis.set(key('s'), 'hello');
  assert.equal(await redis.get(key('s')), 'hello');

  const unicode = 'héllo wörld — 日本語 🚀';
  await redis.set(key('u'), unicode);
  assert.equal(await redis.get(key('u')), unicode);

  const obj = { id: 7, name: 'Zoë', tags: ['a', 'b'], nested: { ok: true, n: null } };
  await redis.set(key('json'), obj);
  assert.deepEqual(await redis.get(key('json')), obj);

  await redis.set(key('bool'), true); // the client sends a JSON boolean argument
  assert.equal(await redis.get(key('bool')), true);

  await redis.set(key('empty'), '');
  assert.equal(await redis.get(key('empty')), '');
});

test('numbers and incr', async () => {
  await redis.set(key('n'), 41);
  assert.equal(await redis.incr(key('n')), 42);
  assert.equal(await redis.get(key('n')), 42);
  assert.equal(await redis.incrby(key('n'), -2), 40);
  assert.equal(await redis.incrbyfloat(key('n'), 0.5), 40.5);
});

test('hashes', async () => {
  assert.equal(await redis.hset(key('h'), { name: 'alice', age: 30, profile: { admin: false } }), 3);
  assert.deepEqual(await redis.hgetall(key('h')), { name: 'alice', age: 30, profile: { admin: false } });
  assert.equal(await redis.hget(key('h'), 'name'), 'alice');
  assert.equal(await redis.hgetall(key('no-such-hash')), null);
});

test('lists', async () => {
  assert.equal(await redis.rpush(key('l'), 'a', 'b', 'c'), 3);
  assert.deepEqual(await redis.lrange(key('l'), 0, -1), ['a', 'b', 'c']);
  assert.equal(await redis.lpop(key('l')), 'a');
  assert.equal(await redis.llen(key('l')), 2);
});

test('expire and ttl', async () => {
  await redis.set(key('ttl'), 'v', { ex: 100 });
  const ttl = await redis.ttl(key('ttl'));
  assert.ok(ttl > 90 && ttl <= 100, `ttl was ${ttl}`);
  await redis.set(key('persist'), 'v');
  assert.equal(await redis.ttl(key('persist')), -1);
  assert.equal(await redis.expire(key('persist'), 50), 1);
  assert.ok((await redis.ttl(key('persist'))) > 0);
  assert.equal(await redis.ttl(key('missing')), -2);
});

test('missing key is null', async () => {
  assert.equal(await redis.get(key('missing')), null);
  assert.deepEqual(await redis.mget(key('s'), key('missing')), ['hello', null]);
});

test('pipeline: a failing command does not fail the others', async () => {
  await redis.set(key('p-str'), 'not a number');
  const results = await redis
    .pipeline()
    .set(key('p1'), 'one')
    .incr(key('p-str'))
    .set(key('p2'), { two: 2 })
    .get(key('p2'))
    .exec({ keepErrors: true });
  assert.equal(results[0]?.result, 'OK');
  assert.match(String(results[1]?.error), /^ERR value is not an integer/);
  assert.equal(results[2]?.result, 'OK');
  assert.deepEqual(results[3]?.result, { two: 2 });
  assert.equal(await redis.get(key('p1')), 'one');

  // Without keepErrors the client turns the failed item into an exception.
  await assert.rejects(redis.pipeline().get(key('p1')).incr(key('p-str')).exec(), /Command 2 \[ incr \] failed: ERR/);
});

test('transaction (multi/exec)', async () => {
  const results = await redis.multi().set(key('tx'), 1).incr(key('tx')).incr(key('tx')).get(key('tx')).exec();
  assert.deepEqual(results, ['OK', 2, 3, 3]);
});

test('eval, scriptLoad + evalsha', async () => {
  const echo = 'return {KEYS[1], ARGV[1], tonumber(ARGV[2]) + 1}';
  assert.deepEqual(await redis.eval(echo, [key('k')], ['v', '41']), [key('k'), 'v', 42]);

  const sha = await redis.scriptLoad("return redis.call('INCRBY', KEYS[1], ARGV[1])");
  assert.match(sha, /^[0-9a-f]{40}$/);
  assert.equal(await redis.evalsha(sha, [key('e')], [5]), 5);
  assert.equal(await redis.evalsha(sha, [key('e')], [5]), 10);
  assert.deepEqual(await redis.scriptExists(sha), [1]);
});

test('createScript falls back to EVAL after SCRIPT FLUSH (NOSCRIPT detection)', async () => {
  // Both the auto-pipelined (/pipeline) and the plain (/) request paths must surface NOSCRIPT.
  const plain = new Redis({ url: bridge.url, token, enableAutoPipelining: false });
  for (const [i, client] of [redis, plain].entries()) {
    const source = "return redis.call('INCR', KEYS[1])";
    const sha = createHash('sha1').update(source).digest('hex');
    const script = client.createScript<number>(source);
    assert.equal(await client.scriptFlush(), 'OK');
    assert.deepEqual(await client.scriptExists(sha), [0]);
    assert.equal(await script.exec([key(`script${i}`)], []), 1); // EVALSHA → NOSCRIPT → EVAL
    assert.deepEqual(await client.scriptExists(sha), [1]);
    assert.equal(await script.exec([key(`script${i}`)], []), 2); // EVALSHA hits now
  }
  await assert.rejects(plain.evalsha('0'.repeat(40), [], []), /NOSCRIPT/);
});

test("Upstash's #!lua flags=allow-key-locking runs, under the SHA-1 the client computed", async () => {
  const source = `#!lua flags=allow-key-locking\nreturn redis.call('INCRBY', KEYS[1], ARGV[1]) -- ${randomUUID()}`;
  const sha = createHash('sha1').update(source).digest('hex');
  assert.equal(await redis.eval(source, [key('flag')], [2]), 2);
  assert.equal(await redis.evalsha(sha, [key('flag')], [3]), 5);
  assert.deepEqual(await redis.scriptExists(sha), [1]);
  assert.equal(await redis.scriptLoad(source), sha);
  // Other flags stay: a no-writes script may not write.
  const readOnly = `#!lua flags=allow-key-locking,no-writes\nreturn redis.call('SET', KEYS[1], 'x')`;
  await assert.rejects(redis.eval(readOnly, [key('ro')], []), /Write commands are not allowed/);
});

test("@upstash/ratelimit's scripts (with Upstash's flag) count and refuse through the bridge", async () => {
  const limiter = new Ratelimit({ redis, prefix: key('rl'), limiter: Ratelimit.slidingWindow(2, '60 s'), ephemeralCache: false });
  const results = [];
  for (let i = 0; i < 3; i++) results.push((await limiter.limit('{who}')).success);
  assert.deepEqual(results, [true, true, false]);
});

test("onRequest sees every request's commands and sizes", async () => {
  const seen: RecordedRequest[] = [];
  const recording = await startBridge({ port: 0, token, onRequest: (r) => seen.push(r) });
  try {
    const client = new Redis({ url: recording.url, token, enableAutoPipelining: false });
    await client.set(key('rec'), 'v');
    await client.pipeline().get(key('rec')).del(key('rec')).exec();
    assert.deepEqual(
      seen.map((r) => [r.path, r.commands]),
      [
        ['/', [['SET', key('rec'), 'v']]],
        [
          '/pipeline',
          [
            ['GET', key('rec')],
            ['DEL', key('rec')],
          ],
        ],
      ],
    );
    assert.ok(seen.every((r) => r.requestBytes > 0 && r.responseBytes > 0));
  } finally {
    await recording.close();
  }
});

test('wrong token is rejected', async () => {
  const intruder = new Redis({ url: bridge.url, token: 'wrong-token', retry: false });
  await assert.rejects(intruder.get(key('s')), /Unauthorized/);
  const res = await fetch(`${bridge.url}/get/${key('s')}`);
  assert.equal(res.status, 401);
  assert.deepEqual(await res.json(), { error: 'Unauthorized' });
});

test('malformed requests get 400, unknown paths 404, oversize bodies 413', async () => {
  let r = await raw('/', { body: '["SET", "x"' });
  assert.equal(r.status, 400);
  assert.match(r.body.error, /not valid JSON/);

  r = await raw('/', { body: '{"cmd":"GET"}' });
  assert.equal(r.status, 400);
  r = await raw('/', { body: JSON.stringify(['SET', key('x'), { nested: true }]) });
  assert.equal(r.status, 400);
  assert.match(r.body.error, /must be a string, number or boolean/);
  r = await raw('/pipeline', { body: JSON.stringify([['GET', key('x')], 'GET']) });
  assert.equal(r.status, 400);

  r = await raw('/definitely-not-a-command/x', { method: 'GET' });
  assert.equal(r.status, 404);

  r = await raw('/', { body: JSON.stringify(['SET', key('big'), 'x'.repeat(1024 * 1024)]) });
  assert.equal(r.status, 413);
  assert.equal(await redis.exists(key('big')), 0);
});

test('blocking commands are refused', async () => {
  const r = await raw('/', { body: JSON.stringify(['BLPOP', key('l'), 1]) });
  assert.equal(r.status, 400);
  assert.match(r.body.error, /BLPOP is not supported/);
  const xread = await raw('/', { body: JSON.stringify(['XREAD', 'BLOCK', 100, 'STREAMS', key('stream'), '$']) });
  assert.equal(xread.status, 400);
  const subscribe = await raw(`/subscribe/${key('chan')}`, { method: 'GET' });
  assert.equal(subscribe.status, 400);
});

test('WAIT is passed through on a connection of its own: it answers the replica count and blocks no one else', async () => {
  // No replicas here: WAIT 1 runs out its timeout and answers 0; meanwhile other requests are served.
  const order: string[] = [];
  const waiting = raw('/', { body: JSON.stringify(['WAIT', 1, 300]) }).then((r) => {
    order.push('wait');
    return r;
  });
  await redis.set(key('during-wait'), 'x');
  assert.equal(await redis.get(key('during-wait')), 'x');
  order.push('get');
  assert.deepEqual(await waiting, { status: 200, body: { result: 0 } });
  assert.deepEqual(order, ['get', 'wait']);
  assert.equal(await redis.exec(['WAIT', 0, 0]), 0);
  const bad = await raw('/', { body: JSON.stringify(['WAIT', 'one', 10]) });
  assert.equal(bad.status, 400);
  assert.match(bad.body.error, /WAIT takes numreplicas and timeout/);
});

test('redis errors surface as client errors and the bridge keeps serving', async () => {
  await redis.set(key('nan'), 'abc');
  await assert.rejects(redis.incr(key('nan')), /ERR value is not an integer or out of range/);
  const plain = new Redis({ url: bridge.url, token, enableAutoPipelining: false });
  await assert.rejects(plain.incr(key('nan')), /ERR value is not an integer or out of range/);
  assert.equal(await redis.get(key('nan')), 'abc');
  assert.equal(await redis.incr(key('counter-after-error')), 1);
});

test('responseEncoding: false returns plain strings', async () => {
  const utf8 = new Redis({ url: bridge.url, token, responseEncoding: false });
  await utf8.set(key('plain'), 'ünïcode ✓');
  assert.equal(await utf8.get(key('plain')), 'ünïcode ✓');
  assert.deepEqual(await utf8.lrange(key('l'), 0, -1), ['b', 'c']);

  const r = await raw('/', { body: JSON.stringify(['GET', key('plain')]) });
  assert.deepEqual(r.body, { result: 'ünïcode ✓' });
  const b64 = await raw('/', { body: JSON.stringify(['GET', key('plain')]), headers: { 'upstash-encoding': 'base64' } });
  assert.deepEqual(b64.body, { result: Buffer.from('ünïcode ✓').toString('base64') });
});

test('path form and binary values round-trip exactly', async () => {
  const bytes = randomBytes(512);
  let r = await raw(`/set/${encodeURIComponent(key('bin'))}`, { body: bytes });
  assert.deepEqual(r.body, { result: 'OK' });
  r = await raw(`/get/${encodeURIComponent(key('bin'))}`, { method: 'GET', headers: { 'upstash-encoding': 'base64' } });
  assert.ok(Buffer.from(r.body.result, 'base64').equals(bytes));

  r = await raw(`/set/${encodeURIComponent(key('path'))}/a%20b%2Fc`, { method: 'GET' });
  assert.equal(r.status, 200);
  assert.equal(await redis.get(key('path')), 'a b/c');
});

test('health is unauthenticated', async () => {
  const res = await fetch(`${bridge.url}/health`);
  assert.equal(res.status, 200);
  assert.equal(await res.text(), 'ok');
});
