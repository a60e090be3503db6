# Sourced by scripts/loadtest/smoke.sh and scripts/loadtest/artillery/run.sh (not run alone): starts a private
# redis-server, the Upstash bridge and the standalone API on free ports (grace window 1 s, cheap PBKDF2,
# rate limits raised for one client IP), logging to $STATE, and stops them when the calling script exits.
# Needs STATE; honours API_WORKERS and DATABASE_URL. Sets API_PORT, REDIS_URL and the app's variables.

pids=()
cleanup() {
  local status=$?
  # Each child was started with setsid, so its pid is its process group: this stops npx, tsx and node.
  for pid in "${pids[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true; done
  # Reap them, so no zombie outlives the script.
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  exit "$status"
}
trap cleanup EXIT INT TERM

free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
REDIS_PORT="$(free_port)"
BRIDGE_PORT="$(free_port)"
API_PORT="$(free_port)"

command -v redis-server >/dev/null || { echo "not ok - $STACK_NAME: redis-server is not installed (apt-get install -y redis-server)"; exit 1; }
# A private redis-server: nobody else's tests (SCRIPT FLUSH, FLUSHALL) can touch this run's families.
setsid redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no >"$STATE/redis.log" 2>&1 &
pids+=($!)

set -a
eval "$(npx tsx scripts/generate-keys.ts)"
UPSTASH_REDIS_REST_TOKEN="$(node -e 'console.log(crypto.randomUUID())')"
UPSTASH_REDIS_REST_URL="http://127.0.0.1:$BRIDGE_PORT"
UPSTASH_BRIDGE_PORT="$BRIDGE_PORT"
REDIS_URL="redis://127.0.0.1:$REDIS_PORT"
REFRESH_GRACE_SECONDS=1
PASSWORD_PBKDF2_ITERATIONS=1000
NODE_ENV=test
PORT="$API_PORT"
# The test users sign up and sign in at once; nobody could open a verification link (the outbox is local).
EMAIL_VERIFICATION=off
# Every client comes from 127.0.0.1: raise every limit (their checks still run) so they don't refuse the test.
eval "$(npx tsx scripts/rate-limits.ts 9999999/1)"
set +a

DATABASE_DIRECT_URL="$DATABASE_URL" npx tsx scripts/db/migrate.ts >"$STATE/migrate.log" 2>&1 || { cat "$STATE/migrate.log"; echo "not ok - $STACK_NAME: migration failed"; exit 1; }
for _ in $(seq 1 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done

setsid npx tsx tools/upstash-bridge/server.ts >"$STATE/bridge.log" 2>&1 &
pids+=($!)
bash scripts/local/wait-for-url.sh "$UPSTASH_REDIS_REST_URL/health" 30 || { tail -20 "$STATE/bridge.log"; exit 1; }
setsid npx tsx api/_hono/server.ts >"$STATE/api.log" 2>&1 &
pids+=($!)
bash scripts/local/wait-for-url.sh "http://127.0.0.1:$API_PORT/api/v1/noop" 60 || { tail -20 "$STATE/api.log"; exit 1; }
