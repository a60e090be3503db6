/**
 * rt2 tokens on real Redis: positions and key ids in the token, the key ring, rt1 families after the
 * upgrade, and tokens ahead of a store that lost its last writes. A lost write is made here by putting
 * the family hash back as it was before a rotation (DUMP, then RESTORE after it): what a failover to a
 * replica that missed the write, or a restart from an older snapshot, leaves behind. The real failover and
 * restart are in api/_hono/failover.test.ts.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { familyKey, userEventsKey } from '../redis/keys';
import type { Redis } from '../redis/client';
import { startTestRedis } from '../../test/support/environment';
import { AHEAD_LIMIT, RefreshTokenCodec, refreshKeyId } from './refresh-token';
import { RotationEngine } from './rotation';
import { codeOf, owner } from '../../test/support/outcomes';

let redis: Redis;
let close: () => Promise<void>;
const settings = { graceSeconds: 1, idleSeconds: 3600, absoluteSeconds: 7200 };
const [OLD, NEW] = ['old-secret-'.repeat(4), 'new-secret-'.repeat(4)];
const codec = RefreshTokenCodec.create([OLD]);
let engine: RotationEngine;
/** The same families after the grace window has passed for every call. */
let late: RotationEngine;

before(async () => {
  ({ redis, close } = await startTestRedis());
  engine = new RotationEngine(redis, codec, settings);
  late = new RotationEngine(redis, codec, { ...settings, graceSeconds: -1 });
});
after(() => close());

/** The family hash as it is now, to be put back later (a write the store will lose). */
async function snapshot(familyId: string): Promise<() => Promise<void>> {
  const key = familyKey(familyId);
  // Without automatic deserialization, HGETALL answers the flat list [field, value, ...].
  const flat = (await redis.hgetall(key)) as unknown as string[];
  const fields = Object.fromEntries(flat.flatMap((v, i) => (i % 2 === 0 ? [[v, flat[i + 1]]] : [])));
  const ttl = await redis.pttl(key);
  return async () => {
    await redis.del(key);
    await redis.hset(key, fields);
    await redis.pexpire(key, ttl);
  };
}

const events = async (userId: string) => (await redis.lrange(userEventsKey(userId), 0, -1)).length;

test('rt2 tokens carry their position and the id of the key that tagged them', async () => {
  const start = await engine.start(owner());
  const parts = start.refreshToken.split('.');
  assert.equal(parts[0], 'rt2');
  assert.equal(parts[3], '0', 'the first token is position 0');
  assert.equal(parts[4], refreshKeyId(OLD));
  const t1 = await engine.rotate(start.refreshToken);
  const t2 = await engine.rotate(t1.refreshToken);
  assert.equal(t2.refreshToken.split('.')[3], '2');
  assert.equal(await redis.hget(familyKey(start.familyId), 'rot'), '2');
  // Position and key id are covered by the tag.
  const moved = t2.refreshToken.replace(/^(rt2\.[^.]+\.[^.]+\.)2\./, '$13.');
  assert.equal(await codeOf(engine.rotate(moved)), 'invalid_token');
});

test('a new key at the front of the ring: older tokens verify, successors are tagged by the new key, and a replay after the change yields the same token to Redis', async () => {
  const start = await engine.start(owner());
  const t1 = await engine.rotate(start.refreshToken);
  const rotatedRing = new RotationEngine(redis, RefreshTokenCodec.create([NEW, OLD]), settings);
  // The predecessor, replayed inside the window by an instance with the new ring: the same successor
  // (re-tagged by the new key), so this is a replay, not reuse.
  const replay = await rotatedRing.rotate(start.refreshToken);
  assert.equal(replay.outcome, 'replayed');
  assert.equal(replay.refreshToken.split('.')[4], refreshKeyId(NEW));
  assert.notEqual(replay.refreshToken, t1.refreshToken, 'another tag');
  // Both spellings of position 1 are the current token.
  const t2 = await rotatedRing.rotate(t1.refreshToken);
  assert.equal(t2.outcome, 'rotated');
  assert.equal(t2.refreshToken.split('.')[4], refreshKeyId(NEW));
  // Once the old key is gone, tokens it tagged are refused without touching Redis; the new ones go on.
  const newOnly = new RotationEngine(redis, RefreshTokenCodec.create([NEW]), settings);
  assert.equal(await codeOf(newOnly.rotate(t1.refreshToken)), 'invalid_token');
  assert.equal((await newOnly.rotate(t2.refreshToken)).outcome, 'rotated');
});

test('a family started with an rt1 token keeps rotating: its successors are rt2 at the position the family counted, tagged by the newest key', async () => {
  const start = await engine.start(owner());
  // What the code before rt2 stored at sign-in: the hash of an rt1 token, tagged by the only key there was.
  const legacy = codec.mintV1ForTest(start.familyId, start.refreshExpiresAt + 3_600_000);
  await redis.hset(familyKey(start.familyId), { cur: codec.hash(legacy) });
  const ring = new RotationEngine(redis, RefreshTokenCodec.create([NEW, OLD]), settings);
  const ringLate = new RotationEngine(redis, RefreshTokenCodec.create([NEW, OLD]), { ...settings, graceSeconds: -1 });
  const t1 = await ring.rotate(legacy.raw);
  assert.equal(t1.outcome, 'rotated');
  const [version, , , position, kid] = t1.refreshToken.split('.');
  assert.deepEqual([version, position, kid], ['rt2', '1', refreshKeyId(NEW)]);
  assert.equal((await ring.rotate(legacy.raw)).refreshToken, t1.refreshToken, 'a replay of the rt1 token: the same rt2 token');
  assert.equal((await ringLate.rotate(legacy.raw)).outcome, 'recovered');
  // From here on it is an rt2 chain, with what that brings: a lost rotation is resumed.
  const t2 = await ring.rotate(t1.refreshToken);
  const restore = await snapshot(start.familyId);
  const t3 = await ring.rotate(t2.refreshToken);
  await restore();
  assert.equal((await ring.rotate(t3.refreshToken)).outcome, 'resumed');
  assert.equal(await codeOf(ring.rotate(t1.refreshToken)), 'token_reused', 'reuse is still caught');
});

test('an rt1 token rotated by the code before rt2 is still replayed and recovered to the rt1 successor it stored', async () => {
  const start = await engine.start(owner());
  const t0 = codec.mintV1ForTest(start.familyId, start.refreshExpiresAt + 3_600_000);
  const t1 = codec.successor(t0); // the rt1 successor, derived as that code did
  assert.match(t1.raw, /^rt1\./);
  // The old code rotated t0 → t1 and stored that.
  await redis.hset(familyKey(start.familyId), { cur: codec.hash(t1), prev: codec.hash(t0), prevAt: Date.now(), rot: 1 });
  assert.equal((await engine.rotate(t0.raw)).refreshToken, t1.raw);
  const recovered = await late.rotate(t0.raw);
  assert.equal(recovered.outcome, 'recovered');
  assert.equal(recovered.refreshToken, t1.raw);
  // Presenting the rt1 successor then upgrades the chain.
  const t2 = await engine.rotate(t1.raw);
  assert.equal(t2.outcome, 'rotated');
  assert.match(t2.refreshToken, /^rt2\.[^.]+\.[^.]+\.2\./);
});

test('after a lost rotation the newest token continues the chain (resumed, no security event); older tokens are still refused', async () => {
  const who = owner();
  const start = await engine.start(who);
  const t1 = await engine.rotate(start.refreshToken);
  const restore = await snapshot(start.familyId);
  const t2 = await engine.rotate(t1.refreshToken);
  await restore(); // the store is back at position 1: T1 → T2 was lost
  const t3 = await engine.rotate(t2.refreshToken);
  assert.equal(t3.outcome, 'resumed');
  assert.equal(t3.resumes, 1);
  assert.equal(await redis.hget(familyKey(start.familyId), 'rot'), '3');
  assert.equal(await events(who.userId), 0, 'no security event');
  // The token the client now holds rotates as usual; a replay of T2 inside the window gets T3 again.
  assert.equal((await engine.rotate(t2.refreshToken)).refreshToken, t3.refreshToken);
  assert.equal((await engine.rotate(t3.refreshToken)).outcome, 'rotated');
  // T0 is two behind: reuse, as before.
  assert.equal(await codeOf(engine.rotate(start.refreshToken)), 'token_reused');
  assert.equal(await events(who.userId), 1);
});

test(`up to ${AHEAD_LIMIT} lost rotations are resumed; further ahead ends the session without a security event`, async () => {
  for (const lost of [AHEAD_LIMIT, AHEAD_LIMIT + 1]) {
    const who = owner();
    const start = await engine.start(who);
    const restore = await snapshot(start.familyId);
    let token = start.refreshToken;
    for (let i = 0; i < lost; i++) token = (await engine.rotate(token)).refreshToken;
    await restore();
    const code = await codeOf(engine.rotate(token));
    if (lost <= AHEAD_LIMIT) assert.equal(code, 'ok', `${lost} lost rotations`);
    else {
      assert.equal(code, 'token_revoked', `${lost} lost rotations`);
      assert.equal(await redis.hget(familyKey(start.familyId), 'reason'), 'too_far_ahead');
      // Whoever still holds the token the store had cannot continue either.
      assert.equal(await codeOf(engine.rotate(start.refreshToken)), 'token_revoked');
    }
    assert.equal(await events(who.userId), 0, 'no security event');
  }
});

test('a token ahead whose anchor does not match the stored token is reuse: a key alone cannot take over a session', async () => {
  const who = owner();
  const start = await engine.start(who);
  const t1 = await engine.rotate(start.refreshToken);
  // Someone with the key and the session id, but no token of the chain, tags position 2 with a made-up
  // anchor (rebuilt here through the codec's own format: the tag is valid).
  const forged = RefreshTokenCodec.create([OLD]).successor(
    { ...codec.parse(t1.refreshToken)!, anchors: 'AAAAAAAA' },
    'BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB',
  );
  assert.equal(forged.position, 2);
  assert.equal(await codeOf(engine.rotate(forged.raw)), 'token_reused');
  assert.equal(await events(who.userId), 1);
});

test('a thief holding the token the store fell back to is still caught when the honest client resumes', async () => {
  // The store lost T1 → T2 and T2 → T3; the thief had copied T1 before. Whoever goes first, the other
  // ends up behind and is refused as reuse within two rotations.
  for (const thiefFirst of [true, false]) {
    const who = owner();
    const start = await engine.start(who);
    const t1 = await engine.rotate(start.refreshToken);
    const restore = await snapshot(start.familyId);
    const t2 = await engine.rotate(t1.refreshToken);
    const t3 = await engine.rotate(t2.refreshToken);
    await restore();
    const stolen = t1.refreshToken;
    let thief: string | undefined;
    if (thiefFirst) thief = (await late.rotate(stolen)).refreshToken; // T1 is current again: rotates to T2
    const honest = await late.rotate(t3.refreshToken); // ahead: resumed
    assert.equal(honest.outcome, 'resumed');
    const caught = await codeOf(late.rotate(thief ?? stolen));
    assert.equal(caught, 'token_reused');
    assert.equal(await codeOf(late.rotate(honest.refreshToken)), 'token_revoked', 'the session is over for both');
    assert.equal(await events(who.userId), 1);
  }
});
