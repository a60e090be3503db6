/** @module scripts/db/edge-shims — the in-process workaround a local Accelerate-compatible server needs (see docs/database.md, "Local edge path"). */
import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';

/**
 * @prisma/query-plan-executor keeps its per-request logger in an OpenTelemetry context.
 * Without a registered context manager the context never propagates and every
 * query answers HTTP 500 "No active logger found".
 */
export function installOtelContextManager() {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
}
