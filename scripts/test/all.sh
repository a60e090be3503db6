#!/usr/bin/env bash
# `npm test`: the whole suite. Unit and integration tests on real Redis and PostgreSQL, the API
# integration tests again on a Redis Cluster, then the load-test audit (also through real faults), the browser tests in headless
# Chromium against the built app, and the offline `vercel build` check (built beside the first suites).
set -euo pipefail
cd "$(dirname "$0")/../.."
[[ -d lib/db/generated/node ]] || bash scripts/db/generate.sh
# The two app builds need no services: the offline `vercel build` check, then the browser tests' build, run
# beside the suites before the browser tests, which leave part of the CPU idle (they slow those suites by less
# than the builds take alone). One after the other: both write .next.
mkdir -p tmp
setsid bash -c 'bash scripts/test/vercel-build.sh && bash scripts/test/e2e.sh build' >tmp/builds.log 2>&1 &
builds=$!
trap 'kill -- -$builds 2>/dev/null || kill $builds 2>/dev/null || true' EXIT
bash scripts/test/unit.sh
# The API integration tests again on a 3-master Redis Cluster (started and stopped by the script).
bash scripts/test/cluster.sh
# A few seconds of concurrent refreshes with racing tabs and a thief; fails on audit violations only.
bash scripts/loadtest/smoke.sh
# The same clients through real faults (failover, AOF restart, REST stall and resets, PostgreSQL down, secret
# rotation) and a self-check the audit must catch; fails on audit violations only (docs/reliability.md).
bash scripts/loadtest/chaos-smoke.sh
wait "$builds" || { cat tmp/builds.log; echo "not ok - the app builds"; exit 1; }
trap - EXIT
cat tmp/builds.log
E2E_SKIP_BUILD=1 bash scripts/test/e2e.sh
