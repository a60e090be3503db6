#!/usr/bin/env bash
# scripts/db/local-accelerate.sh — Accelerate-compatible HTTP endpoint in front of the real PostgreSQL,
# so Next.js edge routes work locally (the edge runtime cannot use pg/TCP). Runs on the project's Node 20.
#
#   scripts/db/local-accelerate.sh [start]   migrate the database, start the endpoint in the background, print DATABASE_URL
#   scripts/db/local-accelerate.sh url       print DATABASE_URL of the running endpoint
#   scripts/db/local-accelerate.sh stop      stop it
#
# Env: DATABASE_DIRECT_URL (default postgresql://postgres@127.0.0.1:5432/authdev),
#      LOCAL_ACCELERATE_PORT (default 51400), LOCAL_ACCELERATE_LOG (off|error|warn|info|debug).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PORT="${LOCAL_ACCELERATE_PORT:-51400}"
STATE="$ROOT/tmp/local-accelerate-$PORT"    # /tmp/ is gitignored; one state dir per port
PID_FILE="$STATE/pid"
LOG_FILE="$STATE/log"
READY_FILE="$STATE/ready.json"
mkdir -p "$STATE"
cd "$ROOT"
export DATABASE_DIRECT_URL="${DATABASE_DIRECT_URL:-postgresql://postgres@127.0.0.1:5432/authdev}"

running() { [[ -f "$PID_FILE" ]] && kill -0 "$(cat "$PID_FILE")" 2>/dev/null; }
field() { node -e 'const j=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8"));process.stdout.write(j[process.argv[2]])' "$READY_FILE" "$1"; }

start() {
  # Creates the database if needed; idempotent, so safe on every start.
  npx tsx scripts/db/migrate.ts >&2
  if ! running; then
    rm -f "$READY_FILE"
    setsid node scripts/db/local-accelerate-server.mjs >"$LOG_FILE" 2>&1 </dev/null &
    echo $! >"$PID_FILE"
    for _ in $(seq 1 60); do
      if line=$(grep -m1 '^{"ready":true' "$LOG_FILE" 2>/dev/null); then echo "$line" >"$READY_FILE"; break; fi
      running || { cat "$LOG_FILE" >&2; echo "local accelerate exited during start-up (log above)" >&2; exit 1; }
      sleep 0.5
    done
    [[ -f "$READY_FILE" ]] || { cat "$LOG_FILE" >&2; echo "local accelerate not ready after 30 s" >&2; exit 1; }
    echo "local accelerate running (pid $(cat "$PID_FILE"), log $LOG_FILE)" >&2
  fi
  echo "DATABASE_URL=$(field accelerateUrl)"
}

stop() {
  if running; then
    pid=$(cat "$PID_FILE")
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    echo "local accelerate stopped" >&2
  else
    echo "local accelerate is not running" >&2
  fi
  rm -f "$PID_FILE" "$READY_FILE"
}

case "${1:-start}" in
  start) start ;;
  url) running && [[ -f "$READY_FILE" ]] || { echo "local accelerate is not running" >&2; exit 1; }; echo "DATABASE_URL=$(field accelerateUrl)" ;;
  stop) stop ;;
  *) echo "usage: $0 [start|url|stop]" >&2; exit 2 ;;
esac
