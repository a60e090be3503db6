/** @module Per-request facts the domain wants (client IP, user agent), under the deployment's client-IP policy. */
import type { Context } from 'hono';
import { AuthError } from '../../lib/auth/errors';
import { requestContext as contextOf, type ClientIpPolicy } from '../../lib/auth/request-context';
import type { RequestContext } from '../../lib/tokens/rotation';

/**
 * The caller's IP and user agent. The socket's address is there on the standalone Node server
 * (@hono/node-server exposes it); on the edge there is none, and the policy names the header to trust.
 * A request that carries no trustworthy IP (it bypassed the configured proxies) is refused: every such
 * request would otherwise share one rate-limit bucket.
 */
export function requestContext(c: Context, policy: ClientIpPolicy): RequestContext & { ip: string } {
  const socket = (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming?.socket;
  const context = contextOf(c.req.raw.headers, socket?.remoteAddress, policy);
  if (!context.ip) {
    throw new AuthError(
      'client_unidentified',
      'The client address is unknown: the request did not come through the proxies this deployment trusts.',
    );
  }
  return { ...context, ip: context.ip };
}
