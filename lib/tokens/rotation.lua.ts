/**
 * @module The Lua scripts of the rotation engine. Each touches only keys of one hash tag
 * ({fam:<id>}), so it runs on Redis Cluster and Upstash multi-region as well as on one server.
 * Time comes from Redis (TIME), so every app instance agrees on the grace window.
 */

/**
 * Rotate. KEYS[1] family hash. ARGV: presented hash, successor hash, grace ms, idle ms, refresh limit,
 * limit window ms. Replies {status, userId, provider, refreshExpiresAtMs, rotations}; status is one of
 * rotated | replayed | reused | revoked | expired | unknown, or {'rate_limited', retryAfterMs}.
 * The per-session rate limit lives here so the hot path stays at one round trip.
 */
export const ROTATE_SCRIPT = `
local key = KEYS[1]
local presented, successor = ARGV[1], ARGV[2]
local grace, idle = tonumber(ARGV[3]), tonumber(ARGV[4])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local f = redis.call('HMGET', key, 'st', 'cur', 'prev', 'prevAt', 'absExp', 'lastUsed', 'uid', 'prv', 'rot', 'winAt', 'winN')
local st = f[1]
if not st then return {'unknown'} end
if st == 'revoked' then return {'revoked', f[7]} end
local absExp = tonumber(f[5])
if now >= absExp or now - tonumber(f[6]) > idle then
  redis.call('DEL', key)
  return {'expired', f[7]}
end
local isCurrent = presented == f[2]
local isGraceReplay = not isCurrent and presented == f[3] and successor == f[2] and now - tonumber(f[4]) <= grace
local winAt, winN = tonumber(f[10]) or 0, tonumber(f[11]) or 0
if isCurrent or isGraceReplay then
  -- Fixed window per session: rotations and replays both count.
  local window = tonumber(ARGV[6])
  if now - winAt >= window then winAt, winN = now, 0 end
  if winN >= tonumber(ARGV[5]) then return {'rate_limited', winAt + window - now} end
  winN = winN + 1
end
if isCurrent then
  local expires = math.min(absExp, now + idle)
  redis.call('HSET', key, 'cur', successor, 'prev', presented, 'prevAt', now, 'lastUsed', now, 'winAt', winAt, 'winN', winN)
  local rot = redis.call('HINCRBY', key, 'rot', 1)
  redis.call('PEXPIREAT', key, expires)
  return {'rotated', f[7], f[8], expires, rot}
end
if isGraceReplay then
  redis.call('HSET', key, 'winAt', winAt, 'winN', winN)
  return {'replayed', f[7], f[8], math.min(absExp, tonumber(f[6]) + idle), tonumber(f[9])}
end
-- An older token, or the predecessor after the grace window: someone holds a copy. Revoke the
-- family but keep a tombstone until it would have gone idle, so later presentations say "revoked".
-- The tombstone keeps no token hash and no device details (user agent, IP).
redis.call('HSET', key, 'st', 'revoked', 'revokedAt', now, 'reason', 'reuse')
redis.call('HDEL', key, 'cur', 'prev', 'ua', 'ip')
redis.call('PEXPIREAT', key, math.min(absExp, now + idle))
return {'reused', f[7]}
`;

/**
 * Revoke. KEYS[1] family hash. ARGV: reason, idle ms. Replies {userId} or {} when unknown.
 * Idempotent: revoking a revoked family keeps its first reason. Leaves a tombstone without token
 * hashes or device details.
 */
export const REVOKE_SCRIPT = `
local key = KEYS[1]
local f = redis.call('HMGET', key, 'st', 'uid', 'absExp')
if not f[1] then return {} end
if f[1] ~= 'revoked' then
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  redis.call('HSET', key, 'st', 'revoked', 'revokedAt', now, 'reason', ARGV[1])
  redis.call('HDEL', key, 'cur', 'prev', 'ua', 'ip')
  redis.call('PEXPIREAT', key, math.min(tonumber(f[3]), now + tonumber(ARGV[2])))
end
return {f[2]}
`;
