/** @module Where a route's after-the-answer work runs: the platform's waitUntil when the request has one, else in the background. */
import type { Context } from 'hono';
import { inBackground, viaWaitUntil, type Defer } from '../../lib/runtime/deferred';

/**
 * The Defer for this request: the execution context's `waitUntil` (Cloudflare, Vercel functions, the Next.js
 * route, which passes `after()` as one), so the platform keeps running the work after the answer; on the
 * standalone Node server, which has none, the work simply runs on in the process, its errors logged.
 */
export function deferFor(c: Context): Defer {
  let waitUntil: ((promise: Promise<unknown>) => void) | undefined;
  try {
    // Hono's getter throws when the adapter passed no execution context.
    const ctx = c.executionCtx;
    waitUntil = (promise) => ctx.waitUntil(promise);
  } catch {
    waitUntil = undefined;
  }
  return waitUntil ? viaWaitUntil(waitUntil) : inBackground;
}
