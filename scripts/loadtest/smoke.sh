#!/usr/bin/env bash
# CI version of the load test: starts a private redis-server, the Upstash bridge and the standalone API
# on free ports (grace window 1 s, cheap PBKDF2), runs a few seconds of refresh traffic with racing,
# attacking and response-losing clients, and fails only on an audit violation or a broken setup, never on
# timings.
# The API runs as two worker processes, so racing copies of one token land on different processes.
#   bash scripts/loadtest/smoke.sh            (env: SMOKE_DURATION, SMOKE_CONCURRENCY, SMOKE_SESSIONS,
#                                              SMOKE_WORKERS, LOADTEST_DATABASE_URL)
set -euo pipefail
cd "$(dirname "$0")/../.."
STATE="$PWD/tmp/loadtest-smoke"
mkdir -p "$STATE"
DURATION="${SMOKE_DURATION:-6}"
CONCURRENCY="${SMOKE_CONCURRENCY:-40}"
SESSIONS="${SMOKE_SESSIONS:-80}"
export API_WORKERS="${SMOKE_WORKERS:-2}"
export DATABASE_URL="${LOADTEST_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/authloadtest}"

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

command -v redis-server >/dev/null || { echo "not ok - loadtest smoke: redis-server is not installed (apt-get install -y redis-server)"; exit 1; }
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
# Every client comes from 127.0.0.1: raise the limits (their checks still run) so they don't refuse the test.
for rule in SIGNIN_PER_IP SIGNIN_PER_ACCOUNT_IP SIGNIN_PER_ACCOUNT SIGNUP_PER_IP REFRESH_FAILURES_PER_IP REFRESH_PER_SESSION; do
  eval "RATE_LIMIT_$rule=9999999/1"
done
set +a

DATABASE_DIRECT_URL="$DATABASE_URL" npx tsx scripts/db/migrate.ts >"$STATE/migrate.log" 2>&1 || { cat "$STATE/migrate.log"; echo "not ok - loadtest smoke: migration failed"; exit 1; }
for _ in $(seq 1 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done

setsid npx tsx tools/upstash-bridge/server.ts >"$STATE/bridge.log" 2>&1 &
pids+=($!)
bash scripts/local/wait-for-url.sh "$UPSTASH_REDIS_REST_URL/health" 30 || { tail -20 "$STATE/bridge.log"; exit 1; }
setsid npx tsx api/_hono/server.ts >"$STATE/api.log" 2>&1 &
pids+=($!)
bash scripts/local/wait-for-url.sh "http://127.0.0.1:$API_PORT/api/v1/noop" 60 || { tail -20 "$STATE/api.log"; exit 1; }

status=0
npx tsx scripts/loadtest/run.ts --url "http://127.0.0.1:$API_PORT" --duration "$DURATION" --concurrency "$CONCURRENCY" \
  --sessions "$SESSIONS" --race-share 0.15 --attacker-share 0.1 --lossy-share 0.15 --grace 1 --redis-url "$REDIS_URL" \
  --out "$STATE/result.json" || status=$?
if [[ $status -eq 0 ]]; then
  echo "ok - loadtest smoke: audit clean ($(node -e 'const r=require(process.argv[1]);console.log(`${r.requests.total} refreshes, ${r.audit.attacks.attempted} replays refused, ${r.audit.recovered.lossy} lost responses recovered`)' "$STATE/result.json"), $API_WORKERS API workers)"
else
  echo "--- api log (tail) ---"; tail -20 "$STATE/api.log"
  echo "not ok - loadtest smoke: $([[ $status -eq 1 ]] && echo 'audit violation' || echo 'setup failed') (exit $status)"
fi
exit "$status"
