#!/usr/bin/env bash
# Browser tests: builds the app, starts it with the bridge and the local Accelerate endpoint in front of
# the real PostgreSQL (the edge route reaches the database over HTTP, as on Vercel), then drives headless Chromium.
#   e2e.sh build   only builds, with this run's settings (saved in tmp/e2e/build.env); npm test runs it
#                  beside the unit tests
#   E2E_SKIP_BUILD=1 e2e.sh   tests the last build, with the settings it was built with
set -euo pipefail
MODE="${1:-test}"
[[ "$MODE" == build || "$MODE" == test ]] || { echo "usage: e2e.sh [build|test]" >&2; exit 2; }
cd "$(dirname "$0")/../.."
ROOT=$PWD
STATE="$ROOT/tmp/e2e"
mkdir -p "$STATE"
APP_PORT="${E2E_APP_PORT:-3100}"
BRIDGE_PORT="${E2E_BRIDGE_PORT:-18079}"
# The app reaches the bridge through a fault proxy (tools/fault-proxy), so the outage tests can make the
# REST endpoint stall or refuse connections for real.
REDIS_FAULT_PORT="${E2E_REDIS_FAULT_PORT:-$((BRIDGE_PORT + 10))}"
REDIS_FAULT_CONTROL_PORT="$((REDIS_FAULT_PORT + 1))"
# Below Linux's ephemeral range (32768-60999): a port in it can be taken at random by any outgoing
# connection of this machine, and then the endpoint fails to start with EADDRINUSE (seen once in CI).
export LOCAL_ACCELERATE_PORT="${E2E_ACCELERATE_PORT:-31410}"
export DATABASE_DIRECT_URL="${E2E_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/authe2e}"

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true; done
  bash scripts/db/local-accelerate.sh stop >/dev/null 2>&1 || true
}
trap cleanup EXIT

if [[ "$MODE" == test ]]; then
  bash scripts/local/ensure-redis.sh
  bash scripts/test/ensure-chromium.sh
fi

# Fresh secrets for each build, saved beside it so the bridge, the build and the server agree (and the
# client-bundle test looks for the secrets the bundle was built with).
if [[ "$MODE" == build || "${E2E_SKIP_BUILD:-0}" != 1 || ! -f "$STATE/build.env" ]]; then
  {
    npx tsx scripts/generate-keys.ts
    for name in UPSTASH_REDIS_REST_TOKEN AUTH_OIDC_SECRET MAIL_WEBHOOK_TOKEN; do echo "$name='$(node -e 'console.log(crypto.randomUUID())')'"; done
  } >"$STATE/build.env.new"
  mv "$STATE/build.env.new" "$STATE/build.env"
fi
set -a
# shellcheck disable=SC1091
source "$STATE/build.env"
UPSTASH_REDIS_REST_URL="http://127.0.0.1:$REDIS_FAULT_PORT"
UPSTASH_BRIDGE_PORT="$BRIDGE_PORT"
E2E_REDIS_FAULT_URL="http://127.0.0.1:$REDIS_FAULT_CONTROL_PORT"
APP_URL="http://127.0.0.1:$APP_PORT"
AUTH_URL="$APP_URL"
NODE_ENV=production
# Set explicitly: `next start` also reads a developer's .env.local, which must not decide test settings.
PASSWORD_PBKDF2_ITERATIONS=600000
DATABASE_DIRECT_URL="$DATABASE_DIRECT_URL"
LOG_LEVEL=warn
# `next start` is reached directly here; Next.js fills X-Forwarded-For from the socket when a request has
# none, so one hop stands for the browser. The client-IP tests put a real appending proxy in front.
CLIENT_IP_SOURCE=proxy
TRUSTED_PROXY_HOPS=1
# Every browser test signs up from 127.0.0.1, and Redis (with its rate-limit windows) outlives a run; the
# load test at the end sends racing copies of one token, each counted against its session.
eval "$(npx tsx scripts/rate-limits.ts 100000/60 --one-client)"
# Sign-up mails a verification link (read from the relay below) and answers "check your email"; "optional"
# lets the browser tests and the load test sign in before using it. The "required" mode is covered by the API tests.
EMAIL_VERIFICATION=optional
# Short-lived access tokens, so the browser tests cross several rotations in seconds.
ACCESS_TOKEN_TTL_SECONDS="${E2E_ACCESS_TOKEN_TTL_SECONDS:-6}"
# Half the default grace window: the session-recovery tests wait it out, and a race between two tabs still
# lands within milliseconds of the rotation it races.
REFRESH_GRACE_SECONDS=10
# The generic OIDC provider points at the local test IdP (e2e/support/oidc-provider.ts), started below.
E2E_OIDC_PORT="${E2E_OIDC_PORT:-3199}"
AUTH_OIDC_ISSUER="http://127.0.0.1:$E2E_OIDC_PORT"
AUTH_OIDC_ID="e2e-app"
AUTH_OIDC_NAME="Test IdP"
E2E_OIDC_CLIENT_ID="$AUTH_OIDC_ID"
E2E_OIDC_CLIENT_SECRET="$AUTH_OIDC_SECRET"
E2E_OIDC_REDIRECT_URI="$APP_URL/api/auth/callback/oidc"
# Password-reset emails go, as in production, over the webhook transport: to a local relay the tests read.
E2E_MAIL_RELAY_PORT="${E2E_MAIL_RELAY_PORT:-3198}"
MAIL_TRANSPORT=webhook
MAIL_WEBHOOK_URL="http://127.0.0.1:$E2E_MAIL_RELAY_PORT/send"
E2E_MAIL_RELAY_URL="http://127.0.0.1:$E2E_MAIL_RELAY_PORT"
set +a

if [[ "$MODE" == build ]]; then
  trap - EXIT # nothing started to clean up
  npx next build >"$STATE/build.log" 2>&1 || { tail -50 "$STATE/build.log"; echo "not ok - next build for the browser tests"; exit 1; }
  echo "ok - next build for the browser tests"
  exit 0
fi

setsid npx tsx tools/upstash-bridge/server.ts >"$STATE/bridge.log" 2>&1 &
pids+=($!)
setsid npx tsx tools/fault-proxy/main.ts --listen "$REDIS_FAULT_PORT" --target "127.0.0.1:$BRIDGE_PORT" --control "$REDIS_FAULT_CONTROL_PORT" >"$STATE/fault-proxy.log" 2>&1 &
pids+=($!)
# An assignment carries the pipeline's status (pipefail), so a failed start stops here, not at next start.
accelerate="$(bash scripts/db/local-accelerate.sh start | tail -n 1)" || { echo "not ok - the local Accelerate endpoint did not start"; exit 1; }
export "${accelerate?}"
bash scripts/local/wait-for-url.sh "$UPSTASH_REDIS_REST_URL/health" 30

setsid npx tsx e2e/support/mail-relay.ts >"$STATE/mail-relay.log" 2>&1 &
pids+=($!)
bash scripts/local/wait-for-url.sh "$E2E_MAIL_RELAY_URL/messages" 30 || { tail -20 "$STATE/mail-relay.log"; exit 1; }

# NextAuth discovers the issuer's endpoints, so the IdP is up before the app starts.
setsid npx tsx e2e/support/oidc-provider.ts >"$STATE/oidc-provider.log" 2>&1 &
pids+=($!)
bash scripts/local/wait-for-url.sh "$AUTH_OIDC_ISSUER/.well-known/openid-configuration" 30 || { tail -20 "$STATE/oidc-provider.log"; exit 1; }

if [[ "${E2E_SKIP_BUILD:-0}" != 1 ]]; then npx next build >"$STATE/build.log" 2>&1 || { tail -50 "$STATE/build.log"; exit 1; }; fi
setsid npx next start -p "$APP_PORT" -H 127.0.0.1 >"$STATE/app.log" 2>&1 &
pids+=($!)
bash scripts/local/wait-for-url.sh "$APP_URL/api/health" 60 || { tail -50 "$STATE/app.log"; exit 1; }

# E2E_TESTS (space-separated files) runs only those, and skips the load test below: for working on one test.
# shellcheck disable=SC2206
tests=(${E2E_TESTS:-e2e/*.test.ts})
E2E_APP_URL="$APP_URL" npx tsx --test --test-concurrency=1 "${tests[@]}" || { echo "--- app log (tail) ---"; tail -40 "$STATE/app.log"; echo "--- test IdP log (tail) ---"; tail -20 "$STATE/oidc-provider.log"; exit 1; }

if [[ -n "${E2E_TESTS:-}" ]]; then exit 0; fi

# The load test against the same `next start`: the edge route under concurrent refreshes and racing
# copies of one token, audited against Redis. The grace window is the app's (10 s), so no stale replays
# here (scripts/loadtest/smoke.sh covers the thief against the standalone server).
npx tsx scripts/loadtest/run.ts --url "$APP_URL" --duration 4 --concurrency 20 --sessions 20 --setup-concurrency 2 \
  --race-share 0.25 --attacker-share 0 --grace "$REFRESH_GRACE_SECONDS" --redis-url "${REDIS_URL:-redis://127.0.0.1:6379}" --out "$STATE/loadtest-next.json" >"$STATE/loadtest-next.log" 2>&1 \
  || { tail -40 "$STATE/loadtest-next.log"; echo "not ok - loadtest against next start"; exit 1; }
echo "ok - loadtest against next start: audit clean ($(node -e 'const r=require(process.argv[1]);console.log(`${r.requests.total} refreshes`)' "$STATE/loadtest-next.json"))"
