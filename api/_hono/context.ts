/** @module Per-request facts the domain wants (client IP, user agent), read from standard headers. */
import type { Context } from 'hono';
import type { RequestContext } from '../../lib/tokens/rotation';

/**
 * The caller's IP and user agent. Behind a trusted proxy (Vercel's edge sets it) the first
 * X-Forwarded-For hop; otherwise the socket's address, as @hono/node-server exposes it, since a
 * client could write any X-Forwarded-For it likes.
 */
export function requestContext(c: Context, trustProxy: boolean): RequestContext {
  const forwarded = trustProxy ? c.req.header('x-forwarded-for')?.split(',')[0]?.trim() : undefined;
  const socket = (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming?.socket;
  return { ip: forwarded || socket?.remoteAddress || undefined, userAgent: c.req.header('user-agent') };
}
