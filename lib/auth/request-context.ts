/**
 * @module Who is asking: the client's IP, learnt one way for every caller (the API, NextAuth's sign-in,
 * the pages' server actions), and the user agent. Which source is authoritative is a deployment fact
 * (CLIENT_IP_SOURCE), never something the request decides: a client writes any X-Forwarded-For it likes.
 */
import type { RequestContext } from '../tokens/rotation';

/** Where the client's IP comes from (CLIENT_IP_SOURCE); docs/security.md has a table per deployment. */
export const CLIENT_IP_SOURCES = ['vercel', 'proxy', 'socket'] as const;

/** One of {@link CLIENT_IP_SOURCES}. */
export type ClientIpSource = (typeof CLIENT_IP_SOURCES)[number];

/** The deployment's rule for learning the client's IP. */
export interface ClientIpPolicy {
  /**
   * `vercel`: Vercel's edge overwrites `X-Real-IP` with the address it saw, whatever the client sent.
   * `proxy`: the hop that the last of `trustedProxies` proxies appended to `X-Forwarded-For` (nginx's
   * `$proxy_add_x_forwarded_for`); the hops left of it are the client's own writing.
   * `socket`: the TCP peer (the standalone Node server, no proxy in front).
   */
  source: ClientIpSource;
  /** How many proxies in front of the app append to X-Forwarded-For (`proxy` only; at least 1). */
  trustedProxies: number;
}

// Digits, hex, dots and colons only: a proxy hop that is not an address (a client-written "unknown", a
// port, garbage) identifies nobody, and must not become a bucket either.
const ADDRESS = /^[0-9A-Fa-f.:]{2,45}$/;

/** Normalises an address: IPv4-mapped IPv6 (`::ffff:127.0.0.2`) becomes plain IPv4; anything else not an address is undefined. */
function address(value: string | null | undefined): string | undefined {
  const text = value?.trim();
  if (!text || !ADDRESS.test(text)) return undefined;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(text);
  return (mapped ? mapped[1] : text)!.toLowerCase();
}

/**
 * The client's IP under the policy, or undefined when the request carries no trustworthy one (it did
 * not come through the configured proxies). Never a value shared by every client.
 */
export function clientIp(headers: Headers, socketAddress: string | undefined, policy: ClientIpPolicy): string | undefined {
  switch (policy.source) {
    case 'vercel':
      return address(headers.get('x-real-ip'));
    case 'socket':
      return address(socketAddress);
    case 'proxy': {
      // Headers.get joins repeated headers with ", ", so several X-Forwarded-For lines read as one list.
      const hops = (headers.get('x-forwarded-for') ?? '').split(',').filter((hop) => hop.trim() !== '');
      const index = hops.length - policy.trustedProxies;
      return index >= 0 ? address(hops[index]) : undefined;
    }
  }
}

/** The caller's IP (under the policy) and user agent, for rate limits, the device list and security events. */
export function requestContext(headers: Headers, socketAddress: string | undefined, policy: ClientIpPolicy): RequestContext {
  return { ip: clientIp(headers, socketAddress, policy), userAgent: headers.get('user-agent') ?? undefined };
}
