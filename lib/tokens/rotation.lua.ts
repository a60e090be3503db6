/**
 * @module The Lua scripts of the rotation engine. Each touches only keys of one hash tag
 * ({fam:<id>}), so it runs on Redis Cluster and Upstash multi-region as well as on one server.
 * Time comes from Redis (TIME), so every app instance agrees on the grace window.
 */
import { FAMILY_FIELDS as F, FAMILY_STATE } from './family';
import { ANCHOR_LENGTH } from './refresh-token';

const REVOKED = FAMILY_STATE.revoked;

/**
 * Rotate. KEYS[1] family hash. ARGV: presented hash, successor hash, grace ms, idle ms, refresh limit,
 * limit window ms, tombstone ms (a revoked family's hash lives at least this long: the longest an access
 * token lives), the presented token's position ('' for rt1), its anchors, and for an rt1 token the hash
 * of the rt1 successor the code before rt2 derived ('' otherwise). Replies {status, userId, provider,
 * refreshExpiresAtMs, rotations, recoveries or resumes, legacy, assurance} (every success has all eight, the
 * session's packed assurance last, so a refresh keeps its level); status is one of rotated | replayed |
 * recovered | resumed | reused | revoked | expired | unknown, or {'rate_limited', retryAfterMs}, or
 * {'too_far_ahead', userId, ahead}. The per-session rate limit lives here so the hot path stays at one
 * round trip.
 *
 * The hash's fields are named in family.ts (FAMILY_FIELDS), where each says what it holds.
 *
 * Recovery (the client lost a response and retries after the grace window): the predecessor of an
 * unused current token gets that same current token back. "Unused" needs no extra bookkeeping in
 * the common case: an accepted presentation of the current token rotates it, so the predecessor is
 * still `previous` only while its successor has never been accepted. The one presentation that leaves
 * the current token in place is a rate-limited one, and that is what `presentedButRefused` records.
 * Two recoveries at consecutive positions (lastRecovery == rotations - 1) are a thief and the victim
 * taking turns with a shared token, so the second is reuse; retrying the same recovery
 * (lastRecovery == rotations) is not.
 *
 * Resumption (the store lost its last writes: a failover, a restart): an rt2 token whose position is
 * ahead of `rotations` by d = 1..3 and whose d-th anchor is the fingerprint of the stored current hash
 * descends from the current token, so its rotations happened and were lost. It becomes current, as if
 * presented right after them. An anchor that does not match is reuse (only a key holder could tag it);
 * a token further ahead than its anchors reach cannot be checked and ends the family, without blame.
 */
export const ROTATE_SCRIPT = `
local key = KEYS[1]
local presented, successor = ARGV[1], ARGV[2]
local grace, idle = tonumber(ARGV[3]), tonumber(ARGV[4])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local f = redis.call('HMGET', key, '${F.state}', '${F.current}', '${F.previous}', '${F.previousAt}', '${F.absoluteExpiresAt}', '${F.lastUsed}',
  '${F.userId}', '${F.provider}', '${F.rotations}', '${F.windowStart}', '${F.windowCount}', '${F.lastRecovery}', '${F.presentedButRefused}',
  '${F.assurance}')
local st = f[1]
if not st then return {'unknown'} end
if st == '${REVOKED}' then return {'revoked', f[7]} end
local absExp = tonumber(f[5])
if now >= absExp or now - tonumber(f[6]) > idle then
  redis.call('DEL', key)
  return {'expired', f[7]}
end
local rot = tonumber(f[9]) or 0
local isCurrent = presented == f[2]
-- The predecessor re-derives the current token (the client computed the successor from it). An rt1
-- token rotated by the code before rt2 has an rt1 successor stored: that one is handed back (legacy).
local legacy = ARGV[10] ~= '' and ARGV[10] == f[2]
local isPredecessor = not isCurrent and presented == f[3] and (successor == f[2] or legacy)
legacy = legacy and 1 or 0
local isGraceReplay = isPredecessor and now - tonumber(f[4]) <= grace
local lastRecovery = tonumber(f[12])
local isRecovery = isPredecessor and not isGraceReplay and not f[13] and lastRecovery ~= rot - 1
local tomb = tonumber(ARGV[7])
local pos = tonumber(ARGV[8])
local isAhead = false
if pos and not isCurrent and not isPredecessor and pos > rot then
  local ahead, anchors = pos - rot, ARGV[9]
  if ahead * ${ANCHOR_LENGTH} > #anchors then
    redis.call('HSET', key, '${F.state}', '${REVOKED}', '${F.revokedAt}', now, '${F.reason}', 'too_far_ahead')
    redis.call('HDEL', key, '${F.current}', '${F.previous}', '${F.userAgent}', '${F.ip}')
    redis.call('PEXPIREAT', key, math.max(math.min(absExp, now + idle), now + tomb))
    return {'too_far_ahead', f[7], ahead}
  end
  isAhead = f[2] and string.sub(anchors, ahead * ${ANCHOR_LENGTH} - ${ANCHOR_LENGTH - 1}, ahead * ${ANCHOR_LENGTH})
    == string.sub(f[2], 1, ${ANCHOR_LENGTH})
end
local winAt, winN = tonumber(f[10]) or 0, tonumber(f[11]) or 0
if isCurrent or isAhead or isGraceReplay or isRecovery then
  -- Fixed window per session: rotations, resumptions, replays and recoveries all count.
  local window = tonumber(ARGV[6])
  if now - winAt >= window then winAt, winN = now, 0 end
  if winN >= tonumber(ARGV[5]) then
    if isCurrent and not f[13] then redis.call('HSET', key, '${F.presentedButRefused}', 1) end
    return {'rate_limited', winAt + window - now}
  end
  winN = winN + 1
end
if isCurrent or isAhead then
  local expires = math.min(absExp, now + idle)
  redis.call('HSET', key, '${F.current}', successor, '${F.previous}', presented, '${F.previousAt}', now, '${F.lastUsed}', now,
    '${F.windowStart}', winAt, '${F.windowCount}', winN)
  if f[13] then redis.call('HDEL', key, '${F.presentedButRefused}') end
  redis.call('PEXPIREAT', key, expires)
  if isCurrent then
    rot = redis.call('HINCRBY', key, '${F.rotations}', 1)
    return {'rotated', f[7], f[8], expires, rot, 0, 0, f[14]}
  end
  redis.call('HSET', key, '${F.rotations}', pos + 1)
  return {'resumed', f[7], f[8], expires, pos + 1, redis.call('HINCRBY', key, '${F.resumes}', 1), 0, f[14]}
end
if isGraceReplay then
  redis.call('HSET', key, '${F.windowStart}', winAt, '${F.windowCount}', winN)
  return {'replayed', f[7], f[8], math.min(absExp, tonumber(f[6]) + idle), rot, 0, legacy, f[14]}
end
if isRecovery then
  -- Not a use of the session: lastUsed, and with it the idle expiry and the key's TTL, stay as the
  -- rotation set them, so retrying a lost response cannot keep a family alive.
  redis.call('HSET', key, '${F.lastRecovery}', rot, '${F.windowStart}', winAt, '${F.windowCount}', winN)
  local recoveries = redis.call('HINCRBY', key, '${F.recoveries}', 1)
  return {'recovered', f[7], f[8], math.min(absExp, tonumber(f[6]) + idle), rot, recoveries, legacy, f[14]}
end
-- An older token, the predecessor of a current token that was already presented, a second recovery in
-- a row, or a token ahead whose anchor does not match: someone holds a copy (or a key). Revoke the
-- family but keep a tombstone until it would have gone idle, and at least as long as an access token
-- lives, so later presentations and access-token checks, even on a replica, say "revoked".
-- The tombstone keeps no token hash and no device details (user agent, IP).
redis.call('HSET', key, '${F.state}', '${REVOKED}', '${F.revokedAt}', now, '${F.reason}', 'reuse')
redis.call('HDEL', key, '${F.current}', '${F.previous}', '${F.userAgent}', '${F.ip}')
redis.call('PEXPIREAT', key, math.max(math.min(absExp, now + idle), now + tomb))
return {'reused', f[7]}
`;

/**
 * Revoke. KEYS[1] family hash. ARGV: reason, idle ms, tombstone ms. Replies {userId} or {} when unknown.
 * Idempotent: revoking a revoked family keeps its first reason. Leaves a tombstone without token
 * hashes or device details.
 */
export const REVOKE_SCRIPT = `
local key = KEYS[1]
local f = redis.call('HMGET', key, '${F.state}', '${F.userId}', '${F.absoluteExpiresAt}')
if not f[1] then return {} end
if f[1] ~= '${REVOKED}' then
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  redis.call('HSET', key, '${F.state}', '${REVOKED}', '${F.revokedAt}', now, '${F.reason}', ARGV[1])
  redis.call('HDEL', key, '${F.current}', '${F.previous}', '${F.userAgent}', '${F.ip}')
  redis.call('PEXPIREAT', key, math.max(math.min(tonumber(f[3]), now + tonumber(ARGV[2])), now + tonumber(ARGV[3])))
end
return {f[2]}
`;
