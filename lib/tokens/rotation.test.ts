/** The rotation engine on real Redis: races, replays, reuse, lifetimes. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { familyKey, userEventsKey, userSessionsKey } from '../redis/keys';
import type { Redis } from '../redis/client';
import { sleep, startTestRedis } from '../../test/support/environment';
import { base64urlAlias } from '../../test/support/base64url';
import { RefreshTokenCodec } from './refresh-token';
import { RotationEngine } from './rotation';
import { codeOf, owner } from '../../test/support/outcomes';

let redis: Redis;
let close: () => Promise<void>;
let engine: RotationEngine;
const settings = { graceSeconds: 1, idleSeconds: 3600, absoluteSeconds: 7200 };

before(async () => {
  ({ redis, close } = await startTestRedis());
  engine = new RotationEngine(redis, RefreshTokenCodec.create('test-secret-'.repeat(4)), settings);
});
after(() => close());

test('100 concurrent refreshes with one token all succeed with the identical successor, rotating once', async () => {
  const start = await engine.start(owner());
  const results = await Promise.all(Array.from({ length: 100 }, () => engine.rotate(start.refreshToken)));
  const successors = new Set(results.map((r) => r.refreshToken));
  assert.equal(successors.size, 1);
  assert.equal(results.filter((r) => r.outcome === 'rotated').length, 1);
  assert.equal(await redis.hget(familyKey(start.familyId), 'rot'), '1');
});

test('a chain of 1,000 sequential rotations stays consistent', async () => {
  const start = await engine.start(owner());
  let token = start.refreshToken;
  for (let i = 0; i < 1000; i++) token = (await engine.rotate(token)).refreshToken;
  assert.equal(await redis.hget(familyKey(start.familyId), 'rot'), '1000');
  assert.equal((await engine.rotate(token)).outcome, 'rotated');
});

test('another spelling of a token tag is refused as invalid, and the session is untouched', async () => {
  const start = await engine.start(owner());
  const alias = base64urlAlias(start.refreshToken);
  assert.equal(await codeOf(engine.rotate(alias)), 'invalid_token');
  await engine.revokeByToken(alias);
  assert.equal(await redis.hget(familyKey(start.familyId), 'st'), 'active', 'neither treated as reuse nor signed out');
  assert.equal((await engine.rotate(start.refreshToken)).outcome, 'rotated');
});

test('a token two rotations old is reuse, even inside the grace window', async () => {
  const start = await engine.start(owner());
  const t1 = await engine.rotate(start.refreshToken);
  await engine.rotate(t1.refreshToken);
  assert.equal(await codeOf(engine.rotate(start.refreshToken)), 'token_reused');
  assert.equal(await redis.hget(familyKey(start.familyId), 'st'), 'revoked');
});

test('reuse records a security event and removes the session from the user index', async () => {
  const who = owner();
  const start = await engine.start(who);
  assert.equal((await redis.zscore(userSessionsKey(who.userId), start.familyId)) !== null, true);
  const t1 = await engine.rotate(start.refreshToken);
  await engine.rotate(t1.refreshToken);
  assert.equal(await codeOf(engine.rotate(start.refreshToken, { ip: '203.0.113.9', userAgent: 'thief' })), 'token_reused');
  const [event] = await engine.securityEvents(who.userId);
  assert.equal(event?.type, 'refresh_token_reuse');
  assert.equal(event?.familyId, start.familyId);
  assert.equal(event?.ip, '203.0.113.9');
  assert.equal(await redis.zscore(userSessionsKey(who.userId), start.familyId), null);
});

test('every key carries a TTL no longer than the lifetime it guards', async () => {
  const who = owner();
  const start = await engine.start(who);
  await engine.rotate(start.refreshToken);
  const famTtl = await redis.pttl(familyKey(start.familyId));
  const indexTtl = await redis.pttl(userSessionsKey(who.userId));
  assert.ok(famTtl > 0 && famTtl <= settings.idleSeconds * 1000, `family TTL ${famTtl}`);
  assert.ok(indexTtl > 0 && indexTtl <= settings.absoluteSeconds * 1000, `index TTL ${indexTtl}`);
});

test('an idle family expires: its token is refused as expired', async () => {
  const shortIdle = new RotationEngine(redis, RefreshTokenCodec.create('test-secret-'.repeat(4)), {
    graceSeconds: 0,
    idleSeconds: 1,
    absoluteSeconds: 60,
  });
  const start = await shortIdle.start(owner());
  await sleep(1_200);
  assert.equal(await codeOf(shortIdle.rotate(start.refreshToken)), 'token_expired');
});

test('nothing grows without bound: once lifetimes pass, every key of a busy user is gone', async () => {
  const shortLived = new RotationEngine(redis, RefreshTokenCodec.create('test-secret-'.repeat(4)), {
    graceSeconds: 0,
    idleSeconds: 1,
    absoluteSeconds: 2,
  });
  const who = owner();
  const families = [];
  for (let i = 0; i < 20; i++) families.push(await shortLived.start(who));
  // A mix of what real traffic does: rotations, sign-outs and one detected reuse.
  const rotated = [];
  for (const f of families.slice(0, 10)) rotated.push(await shortLived.rotate(f.refreshToken));
  for (const f of families.slice(10, 15)) await shortLived.revokeByToken(f.refreshToken);
  await shortLived.rotate(rotated[0]!.refreshToken);
  assert.equal(await codeOf(shortLived.rotate(families[0]!.refreshToken)), 'token_reused');

  const keys = [...families.map((f) => familyKey(f.familyId)), userSessionsKey(who.userId)];
  const counted = async () => (await Promise.all(keys.map((k) => redis.exists(k)))).reduce((a, b) => a + b, 0);
  assert.ok((await counted()) > 0);
  await sleep(2_300);
  assert.equal(await counted(), 0, 'families, tombstones and the session index all expired');
  const events = userEventsKey(who.userId);
  assert.ok((await redis.llen(events)) <= 50, 'the security-event list is capped');
  assert.ok((await redis.ttl(events)) > 0, 'and expires');
});

test('the predecessor of an unused token after the window is recovered: same successor, counted, lifetime not extended', async () => {
  const start = await engine.start(owner());
  const lost = await engine.rotate(start.refreshToken);
  const key = familyKey(start.familyId);
  const ttlBefore = await redis.pttl(key);
  await sleep(1_200);
  const first = await engine.rotate(start.refreshToken);
  const second = await engine.rotate(start.refreshToken);
  assert.deepEqual([first.outcome, first.recoveries, second.outcome, second.recoveries], ['recovered', 1, 'recovered', 2]);
  assert.equal(first.refreshToken, lost.refreshToken);
  assert.equal(second.refreshToken, lost.refreshToken);
  assert.equal(first.refreshExpiresAt, lost.refreshExpiresAt, 'a recovery is not a use: the idle expiry stays');
  assert.ok((await redis.pttl(key)) <= ttlBefore, "and the key's TTL is not pushed out");
  assert.equal(await redis.hget(key, 'rot'), '1', 'no rotation happened');
  assert.equal((await engine.rotate(lost.refreshToken)).outcome, 'rotated');
});

test('two recoveries at consecutive positions are reuse; recoveries further apart are not', async () => {
  const start = await engine.start(owner());
  const t1 = await engine.rotate(start.refreshToken);
  await sleep(1_200);
  assert.equal((await engine.rotate(start.refreshToken)).outcome, 'recovered');
  const t2 = await engine.rotate(t1.refreshToken);
  const t3 = await engine.rotate(t2.refreshToken);
  await sleep(1_200);
  assert.equal((await engine.rotate(t2.refreshToken)).outcome, 'recovered', 'position 3 does not follow position 1');
  await engine.rotate(t3.refreshToken);
  await sleep(1_200);
  assert.equal(await codeOf(engine.rotate(t3.refreshToken)), 'token_reused', 'position 4 follows position 3');
  assert.equal(await redis.hget(familyKey(start.familyId), 'st'), 'revoked');
});

test('a current token that was presented (refused by the rate limit) makes its predecessor reuse, not a recovery', async () => {
  const limited = new RotationEngine(redis, RefreshTokenCodec.create('test-secret-'.repeat(4)), {
    ...settings,
    refreshLimit: { tokens: 1, windowSeconds: 3600 },
  });
  const start = await limited.start(owner());
  const t1 = await limited.rotate(start.refreshToken);
  assert.equal(await codeOf(limited.rotate(t1.refreshToken)), 'rate_limited');
  await sleep(1_200);
  assert.equal(await codeOf(limited.rotate(start.refreshToken)), 'token_reused', 'its successor was seen in use');
});
