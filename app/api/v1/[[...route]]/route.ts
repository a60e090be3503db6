/** Mounts the Hono API under /api/v1 on the edge runtime. */
import { after } from 'next/server';
import type { ExecutionContext } from 'hono';
import { app } from '@/api/_hono/app';

export const runtime = 'edge';

/**
 * Next.js route handlers get no execution context, but `after()` keeps the function running until a promise
 * settles (Vercel's waitUntil underneath): offered to the app as its `waitUntil`, so mail that a route sends
 * after its answer (api/_hono/deferred.ts) is not cut off when the answer is out.
 */
const executionContext = (): ExecutionContext => ({
  waitUntil: (promise) => {
    try {
      after(promise);
    } catch {
      // Outside Next's request scope (not expected in a route handler): the work is already running, and
      // runDeferred logs its failures; only the platform's promise to wait for it is lost.
    }
  },
  passThroughOnException: () => {},
  props: {},
});

const handler = (request: Request) => app.fetch(request, undefined, executionContext());
export { handler as GET, handler as POST, handler as PUT, handler as PATCH, handler as DELETE, handler as OPTIONS };
