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

STACK_NAME="loadtest smoke"
# Private redis-server, bridge and API (grace 1 s), stopped on exit.
source scripts/loadtest/start-stack.sh

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
