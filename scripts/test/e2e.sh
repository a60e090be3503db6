#!/usr/bin/env bash
# Browser tests: builds the app, starts it with the bridge and the local Accelerate endpoint in front of
# the real PostgreSQL (the edge route reaches the database over HTTP, as on Vercel), then drives headless Chromium.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
STATE="$ROOT/tmp/e2e"
mkdir -p "$STATE"
APP_PORT="${E2E_APP_PORT:-3100}"
BRIDGE_PORT="${E2E_BRIDGE_PORT:-18079}"
export LOCAL_ACCELERATE_PORT="${E2E_ACCELERATE_PORT:-51410}"
export DATABASE_DIRECT_URL="${E2E_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/authe2e}"

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true; done
  bash scripts/db/local-accelerate.sh stop >/dev/null 2>&1 || true
}
trap cleanup EXIT

bash scripts/local/ensure-redis.sh

# Fresh secrets for this run, exported so the bridge, the build and the server agree.
set -a
eval "$(npx tsx scripts/generate-keys.ts)"
UPSTASH_REDIS_REST_TOKEN="$(node -e 'console.log(crypto.randomUUID())')"
UPSTASH_REDIS_REST_URL="http://127.0.0.1:$BRIDGE_PORT"
UPSTASH_BRIDGE_PORT="$BRIDGE_PORT"
APP_URL="http://127.0.0.1:$APP_PORT"
AUTH_URL="$APP_URL"
NODE_ENV=production
# Short-lived access tokens, so the browser tests cross several rotations in seconds.
ACCESS_TOKEN_TTL_SECONDS="${E2E_ACCESS_TOKEN_TTL_SECONDS:-6}"
set +a

setsid npx tsx tools/upstash-bridge/server.ts >"$STATE/bridge.log" 2>&1 &
pids+=($!)
eval "export $(bash scripts/db/local-accelerate.sh start | tail -n 1)"
bash scripts/local/wait-for-url.sh "$UPSTASH_REDIS_REST_URL/health" 30

if [[ "${E2E_SKIP_BUILD:-0}" != 1 ]]; then npx next build >"$STATE/build.log" 2>&1 || { tail -50 "$STATE/build.log"; exit 1; }; fi
setsid npx next start -p "$APP_PORT" -H 127.0.0.1 >"$STATE/app.log" 2>&1 &
pids+=($!)
bash scripts/local/wait-for-url.sh "$APP_URL/api/health" 60 || { tail -50 "$STATE/app.log"; exit 1; }

E2E_APP_URL="$APP_URL" npx tsx --test --test-concurrency=1 e2e/*.test.ts || { echo "--- app log (tail) ---"; tail -40 "$STATE/app.log"; exit 1; }
