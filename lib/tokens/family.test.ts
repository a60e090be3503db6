/** The family module: the rotate reply decoder, and the scripts spelling every field through FAMILY_FIELDS. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeRotateReply, FAMILY_FIELDS, RotateReplyError } from './family';
import { REVOKE_SCRIPT, ROTATE_SCRIPT } from './rotation.lua';

describe('decodeRotateReply', () => {
  test('a rotation, a replay and a recovery carry the identity, expiry and counts', () => {
    assert.deepEqual(decodeRotateReply(['rotated', 'u1', 'credentials', 1_700_000_000_000, 3]), {
      status: 'rotated',
      userId: 'u1',
      provider: 'credentials',
      expiresAt: 1_700_000_000_000,
      rotations: 3,
    });
    assert.equal(decodeRotateReply(['replayed', 'u1', 'google', '5', '2']).status, 'replayed');
    assert.deepEqual(decodeRotateReply(['recovered', 'u1', 'google', 5, 2, 1]), {
      status: 'recovered',
      userId: 'u1',
      provider: 'google',
      expiresAt: 5,
      rotations: 2,
      recoveries: 1,
    });
  });

  test('a resumption (a token ahead of the store) carries its count; one too far ahead carries the distance', () => {
    assert.deepEqual(decodeRotateReply(['resumed', 'u1', 'google', 5, 7, 1]), {
      status: 'resumed',
      userId: 'u1',
      provider: 'google',
      expiresAt: 5,
      rotations: 7,
      resumes: 1,
    });
    assert.deepEqual(decodeRotateReply(['too_far_ahead', 'u1', 4]), { status: 'too_far_ahead', userId: 'u1', ahead: 4 });
    // A replay or recovery whose current token is the rt1 successor stored before rt2 says so.
    assert.equal(decodeRotateReply(['replayed', 'u1', 'google', 5, 2, 0, 1]).status === 'replayed', true);
    assert.deepEqual(decodeRotateReply(['recovered', 'u1', 'google', 5, 2, 1, 1]), {
      status: 'recovered',
      userId: 'u1',
      provider: 'google',
      expiresAt: 5,
      rotations: 2,
      recoveries: 1,
      legacy: true,
    });
  });

  test('a rate-limited reply carries the retry delay, not a user id', () => {
    assert.deepEqual(decodeRotateReply(['rate_limited', 1500]), { status: 'rate_limited', retryAfterMs: 1500 });
  });

  test('refusals carry the user id where the script knows it', () => {
    assert.deepEqual(decodeRotateReply(['reused', 'u1']), { status: 'reused', userId: 'u1' });
    assert.deepEqual(decodeRotateReply(['revoked', 'u1']), { status: 'revoked', userId: 'u1' });
    assert.deepEqual(decodeRotateReply(['expired']), { status: 'expired' });
    assert.deepEqual(decodeRotateReply(['unknown']), { status: 'unknown' });
  });

  test('any other shape is an error, never a guess', () => {
    for (const reply of [
      null,
      'rotated',
      [],
      ['granted', 'u1'],
      ['rotated', 'u1'],
      ['rotated', 'u1', 'credentials', 'soon', 1],
      ['recovered', 'u1', 'credentials', 5, 2],
      ['rate_limited'],
      ['reused'],
    ]) {
      assert.throws(() => decodeRotateReply(reply), RotateReplyError, JSON.stringify(reply));
    }
  });
});

test('the scripts name no hash field except through FAMILY_FIELDS', () => {
  const known = new Set<string>(Object.values(FAMILY_FIELDS));
  let checked = 0;
  for (const script of [ROTATE_SCRIPT, REVOKE_SCRIPT]) {
    for (const call of script.matchAll(/redis\.call\('(HMGET|HSET|HDEL|HINCRBY)', key,([^)]*)\)/g)) {
      const args = call[2]!.split(',').map((arg) => arg.trim());
      // HSET takes field, value pairs; HINCRBY a field and an increment; the others only fields.
      const fields = call[1] === 'HSET' ? args.filter((_, i) => i % 2 === 0) : call[1] === 'HINCRBY' ? args.slice(0, 1) : args;
      for (const field of fields) {
        assert.match(field, /^'[^']+'$/, `${call[1]} names a field by a variable: ${field}`);
        assert.ok(known.has(field.slice(1, -1)), `${call[1]} names ${field}, which FAMILY_FIELDS does not`);
        checked++;
      }
    }
  }
  assert.ok(checked > 30, `only ${checked} field names found: the pattern no longer matches the scripts`);
});
