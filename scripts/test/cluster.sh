#!/usr/bin/env bash
# The API integration tests again, on a 3-master Redis Cluster started here (ports REDIS_CLUSTER_PORTS,
# default "7001 7002 7003"), behind the bridge in cluster mode with SCRIPT LOAD reaching one master only,
# as a naive proxy does it: rotation (engine, batcher, the HTTP API), rate limits, sessions, account deletion, password
# reset, the OAuth exchange, second factors and passkeys, the bridge's own cluster tests (both ways of loading scripts, and SCAN), and the
# Artillery scenario with its audit.
set -euo pipefail
cd "$(dirname "$0")/../.."
cluster="$(bash scripts/local/redis-cluster.sh start)"
trap 'bash scripts/local/redis-cluster.sh stop' EXIT
export "${cluster?}" UPSTASH_BRIDGE_SCRIPT_LOAD=one
export TEST_DATABASE_URL="${TEST_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/authtest}"
DATABASE_DIRECT_URL="$TEST_DATABASE_URL" npx tsx scripts/db/migrate.ts >/dev/null
echo "# Redis Cluster: $REDIS_CLUSTER_NODES"
npx tsx --test --test-concurrency=1 \
  tools/upstash-bridge/cluster.test.ts \
  lib/tokens/rotation.test.ts lib/tokens/rotation.ahead.test.ts lib/redis/script-batcher.test.ts \
  api/_hono/app.test.ts api/_hono/rate-limit.test.ts api/_hono/sessions.test.ts api/_hono/account.test.ts \
  api/_hono/password-reset.test.ts api/_hono/oauth.test.ts api/_hono/mfa.test.ts \
  scripts/loadtest/artillery/scenario.test.ts
