/** @module Who is asking, from standard Web `Headers`: client IP and user agent, for sessions and security events. */
import type { RequestContext } from '../tokens/rotation';

/**
 * The caller's IP (the first X-Forwarded-For hop, only behind a trusted proxy, since a client could
 * write any X-Forwarded-For it likes) and user agent. Next.js code (server actions, NextAuth
 * callbacks) uses it as it is; the API falls back to the socket's address when no proxy is trusted.
 */
export function contextFromHeaders(headers: Headers, trustProxy = true): RequestContext {
  const forwarded = trustProxy ? headers.get('x-forwarded-for')?.split(',')[0]?.trim() : undefined;
  return { ip: forwarded || undefined, userAgent: headers.get('user-agent') ?? undefined };
}
