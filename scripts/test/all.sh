#!/usr/bin/env bash
# `npm test`: the whole suite. Unit and integration tests on real Redis and PostgreSQL, then the
# browser tests in headless Chromium against the built app.
set -euo pipefail
cd "$(dirname "$0")/../.."
[[ -d lib/db/generated/node ]] || bash scripts/db/generate.sh
bash scripts/test/unit.sh
bash scripts/test/e2e.sh
bash scripts/test/vercel-build.sh
