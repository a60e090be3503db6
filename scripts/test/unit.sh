#!/usr/bin/env bash
# Unit and integration tests (node:test) on the real redis-server and PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash scripts/local/ensure-redis.sh
export TEST_DATABASE_URL="${TEST_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/authtest}"
DATABASE_DIRECT_URL="$TEST_DATABASE_URL" npx tsx scripts/db/migrate.ts
# The edge bundle of the database client must never reach pg, the Node client or node:* modules.
npx tsx scripts/db/check-edge-bundle.ts
# Sorted for a stable order; e2e/ runs separately against a built app.
mapfile -t files < <(find lib api nextauth tools scripts -name '*.test.ts' -not -path '*/node_modules/*' | sort)
npx tsx --test --test-concurrency=1 "${files[@]}"
