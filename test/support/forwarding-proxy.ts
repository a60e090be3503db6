/**
 * Test helper: a reverse proxy like nginx with `proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for`:
 * it appends the address of the peer it saw to whatever X-Forwarded-For the client wrote, then forwards.
 * And `postFrom`, a request sent from a chosen loopback address (the whole 127.0.0.0/8 is local on Linux).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A running proxy in front of `target`. */
export interface ForwardingProxy {
  url: string;
  close(): Promise<void>;
}

/**
 * Starts a proxy on a free port of 127.0.0.1 that forwards every request to `target`, appending the peer's
 * address; it connects to the target from `localAddress` (default 127.0.0.1), so the app sees it as that peer.
 */
export async function startForwardingProxy(target: string, localAddress = '127.0.0.1'): Promise<ForwardingProxy> {
  const upstream = new URL(target);
  const server = http.createServer((req, res) => {
    const peer = req.socket.remoteAddress ?? '';
    const written = req.headers['x-forwarded-for'];
    const headers = { ...req.headers, 'x-forwarded-for': written ? `${written}, ${peer}` : peer };
    const forwarded = http.request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers, localAddress },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forwarded.on('error', () => res.destroy());
    req.pipe(forwarded);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** POSTs JSON to `url` from the local address `from`; the status and parsed body. */
export function postFrom(
  from: string,
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: any }> {
  const target = new URL(url);
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: target.hostname,
        port: target.port,
        path: target.pathname + target.search,
        method: 'POST',
        localAddress: from,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), ...headers },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : null }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** A loopback address of its own for each call, fresh per run (rate-limit windows outlive a test run). */
export function loopbackAddresses(): () => string {
  const run = 1 + Math.floor(Math.random() * 250);
  let n = 0;
  return () => {
    n += 1;
    return `127.${run}.${Math.floor(n / 250)}.${1 + (n % 250)}`;
  };
}
