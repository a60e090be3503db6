/** @module Per-request facts the domain wants (client IP, user agent), read from standard headers. */
import type { Context } from 'hono';
import { contextFromHeaders } from '../../lib/auth/request-context';
import type { RequestContext } from '../../lib/tokens/rotation';

/**
 * The caller's IP and user agent. Behind a trusted proxy (Vercel's edge sets it) the first
 * X-Forwarded-For hop; otherwise the socket's address, as @hono/node-server exposes it, since a
 * client could write any X-Forwarded-For it likes.
 */
export function requestContext(c: Context, trustProxy: boolean): RequestContext {
  const socket = (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming?.socket;
  const fromHeaders = contextFromHeaders(c.req.raw.headers, trustProxy);
  return { ip: fromHeaders.ip ?? socket?.remoteAddress, userAgent: fromHeaders.userAgent };
}
