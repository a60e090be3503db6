/** @module Per-request facts the domain wants (client IP, user agent), read from standard headers. */
import type { Context } from 'hono';
import type { RequestContext } from '../../lib/tokens/rotation';

/** The caller's IP (first x-forwarded-for hop, as set by Vercel's edge) and user agent. */
export function requestContext(c: Context): RequestContext {
  const forwarded = c.req.header('x-forwarded-for')?.split(',')[0]?.trim();
  return { ip: forwarded || c.req.header('x-real-ip') || undefined, userAgent: c.req.header('user-agent') };
}
