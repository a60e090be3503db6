/** @module Per-request facts the domain wants (client IP, user agent), read from standard headers. */
import type { Context } from 'hono';
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

/**
 * The same from a Headers object alone, for Next.js code (server actions, NextAuth callbacks), where
 * Next.js and Vercel set X-Forwarded-For themselves and there is no socket to fall back on.
 */
export function contextFromHeaders(headers: Headers, trustProxy = true): RequestContext {
  const forwarded = trustProxy ? headers.get('x-forwarded-for')?.split(',')[0]?.trim() : undefined;
  return { ip: forwarded || undefined, userAgent: headers.get('user-agent') ?? undefined };
}
