#!/usr/bin/env bash
# `npm run loadtest:artillery`: the Artillery scenario refresh-chains.yml against the standalone API here,
# then the Redis-side audit (scripts/loadtest/artillery/audit.ts). Starts its own redis-server, bridge and
# API (grace 1 s, as the load-test smoke does) and installs the pinned Artillery CLI into tmp/ on first use
# (not an app dependency). Fails only on an audit violation (exit 1) or a broken setup (exit 2), never on timings.
#   env: ARTILLERY_DURATION (s, 10), ARTILLERY_RATE (new virtual users/s, 10), ARTILLERY_REFRESHES (per chain, 50),
#        ARTILLERY_WORKERS (API_WORKERS, 1), LOADTEST_DATABASE_URL
set -euo pipefail
cd "$(dirname "$0")/../../.."
ARTILLERY_VERSION=2.0.21   # the newest that runs on Node 20: 2.0.22 and later need Node ≥ 22.13
TOOLS="$PWD/tmp/artillery-cli"
if [[ ! -x "$TOOLS/node_modules/.bin/artillery" ]] || ! grep -q "\"version\": \"$ARTILLERY_VERSION\"" "$TOOLS/node_modules/artillery/package.json"; then
  echo "installing artillery@$ARTILLERY_VERSION into $TOOLS (once)..."
  mkdir -p "$TOOLS"
  # Its Playwright engine would download a browser; this scenario only speaks HTTP.
  (cd "$TOOLS" && echo '{"private":true}' >package.json &&
    PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --no-audit --no-fund --silent "artillery@$ARTILLERY_VERSION" >/dev/null 2>&1) ||
    { echo "not ok - loadtest artillery: could not install artillery@$ARTILLERY_VERSION"; exit 2; }
fi

STATE="$PWD/tmp/loadtest-artillery"
mkdir -p "$STATE"
export API_WORKERS="${ARTILLERY_WORKERS:-1}"
export DATABASE_URL="${LOADTEST_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/authloadtest}"
STACK_NAME="loadtest artillery"
# Private redis-server, bridge and API (grace 1 s), stopped on exit.
source scripts/loadtest/start-stack.sh

API_URL="http://127.0.0.1:$API_PORT"
variables="$(npx tsx scripts/loadtest/artillery/prepare.ts --url "$API_URL" --grace "$REFRESH_GRACE_SECONDS" \
  --refreshes "${ARTILLERY_REFRESHES:-50}")" || { echo "not ok - loadtest artillery: sign-up failed"; exit 2; }
run_id="$(node -e 'console.log(JSON.parse(process.argv[1]).runId)' "$variables")"
phases="{\"config\":{\"phases\":[{\"name\":\"chains\",\"duration\":${ARTILLERY_DURATION:-10},\"arrivalRate\":${ARTILLERY_RATE:-10}}]}}"
rm -f "$STATE/report.json"
ARTILLERY_DISABLE_TELEMETRY=true "$TOOLS/node_modules/.bin/artillery" run --quiet --target "$API_URL" --variables "$variables" \
  --overrides "$phases" --output "$STATE/report.json" scripts/loadtest/artillery/refresh-chains.yml >"$STATE/artillery.log" 2>&1 ||
  { tail -30 "$STATE/artillery.log"; echo "not ok - loadtest artillery: artillery failed"; exit 2; }

status=0
npx tsx scripts/loadtest/artillery/audit.ts --report "$STATE/report.json" --run-id "$run_id" --redis-url "$REDIS_URL" || status=$?
if [[ $status -eq 0 ]]; then
  echo "ok - loadtest artillery: audit clean (run $run_id; report $STATE/report.json)"
else
  echo "--- api log (tail) ---"; tail -20 "$STATE/api.log"
  echo "not ok - loadtest artillery: $([[ $status -eq 1 ]] && echo 'audit violation' || echo 'audit could not run') (exit $status)"
fi
exit "$status"
