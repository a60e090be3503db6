/**
 * @module Request-size guard. A declared Content-Length is checked from the header alone; only a
 * body of unknown length (chunked) is streamed through Hono's bodyLimit. Hono's middleware reads
 * `request.body` first, which makes @hono/node-server build a full web Request with a stream for
 * every request: that was 15 % of the API's CPU on the refresh path (BENCHMARKS.md).
 */
import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';

/** Refuses bodies over `maxSize` bytes with `onError`; reads no body unless its length is unknown. */
export function requestSizeLimit(maxSize: number, onError: (c: Context) => Response | Promise<Response>): MiddlewareHandler {
  // A refused body stays (partly) unread, so the connection cannot carry another request: say so, or a
  // keep-alive client reuses it and its next request fails ("fetch failed" in api/_hono/app.test.ts).
  const refuse = (c: Context) => {
    c.header('Connection', 'close');
    return onError(c);
  };
  const streamed = bodyLimit({ maxSize, onError: refuse });
  return async (c, next) => {
    // No route of this API reads a GET or HEAD body.
    if (c.req.method === 'GET' || c.req.method === 'HEAD') return next();
    const declared = c.req.header('content-length');
    // With both headers, the length is not the one that counts (RFC 9112 §6.3): stream it.
    if (declared !== undefined && c.req.header('transfer-encoding') === undefined) {
      // The HTTP parser delivers exactly the declared length; garbage counts as too large.
      return Number(declared) <= maxSize ? next() : refuse(c);
    }
    return streamed(c, next);
  };
}
