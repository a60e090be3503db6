#!/usr/bin/env bash
# scripts/db/generate.sh — `prisma generate` (both clients: lib/db/generated/{node,edge}) without network access.
# The CLI insists on locating the native schema engine before any command, even though generate
# never runs it, and downloading it needs binaries.prisma.sh. Any executable path satisfies the check;
# a real engine given in PRISMA_SCHEMA_ENGINE_BINARY is kept as is.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
export PRISMA_SCHEMA_ENGINE_BINARY="${PRISMA_SCHEMA_ENGINE_BINARY:-/bin/true}"
export CHECKPOINT_DISABLE=1 PRISMA_HIDE_UPDATE_MESSAGE=1   # no update check / telemetry calls
exec npx prisma generate "$@"
