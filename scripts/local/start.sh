#!/usr/bin/env bash
# `npm run local`: starts everything the app needs with working local defaults, then `next dev`:
# redis-server (if not running), .env.local (if missing), the Upstash REST bridge, the database
# (created and migrated) behind the local Accelerate endpoint, and the app on http://localhost:3000.
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p tmp
bash scripts/local/ensure-redis.sh
[[ -d lib/db/generated/node ]] || bash scripts/db/generate.sh
npx tsx scripts/setup-env.ts
set -a; . ./.env.local; set +a
# next dev on this machine: Next.js fills X-Forwarded-For from the socket when a request has none, so the
# one hop stands for the browser (a local process could write it; docs/security.md, client IPs).
export CLIENT_IP_SOURCE="${CLIENT_IP_SOURCE:-proxy}" TRUSTED_PROXY_HOPS="${TRUSTED_PROXY_HOPS:-1}"

# What this script starts, it stops again when the app exits (Ctrl-C).
started=()
cleanup() {
  for pid in "${started[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done
  [[ "${stop_db:-0}" == 1 ]] && bash scripts/db/local-accelerate.sh stop >/dev/null 2>&1 || true
}
trap cleanup EXIT

if ! curl -s -o /dev/null "$UPSTASH_REDIS_REST_URL/health"; then
  UPSTASH_BRIDGE_PORT="${UPSTASH_REDIS_REST_URL##*:}" setsid npx tsx tools/upstash-bridge/server.ts >tmp/bridge.log 2>&1 </dev/null &
  started+=($!)
  bash scripts/local/wait-for-url.sh "$UPSTASH_REDIS_REST_URL/health" 30
  echo "upstash bridge: $UPSTASH_REDIS_REST_URL (log tmp/bridge.log)"
fi
bash scripts/db/local-accelerate.sh url >/dev/null 2>&1 || stop_db=1
bash scripts/db/local-accelerate.sh start >/dev/null
echo "database: $DATABASE_DIRECT_URL via $DATABASE_URL"
echo "app: http://localhost:${PORT:-3000}  (standalone API: npm run api, port 8787)"
npx next dev -p "${PORT:-3000}"
