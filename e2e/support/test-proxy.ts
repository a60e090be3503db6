/**
 * An HTTP proxy in front of the app for browser tests that need a response to arrive late or not at
 * all: it forwards every request, reads the app's whole answer, and then passes it on, holds it until
 * released, or drops the connection (the server answered; the browser never hears).
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

interface Rule {
  path: string;
  drop: boolean;
  answered: () => void;
  released: Promise<void>;
}

/** A controllable proxy to one origin. */
export class TestProxy {
  private readonly rules: Rule[] = [];

  private constructor(
    private readonly server: http.Server,
    /** The proxy's own origin; cookies are per host, not per port, so the app's cookies apply here too. */
    readonly url: string,
  ) {}

  /** Starts a proxy on a free port of 127.0.0.1 in front of `target`. */
  static async start(target: string): Promise<TestProxy> {
    let proxy: TestProxy | undefined;
    const server = http.createServer((req, res) => void proxy!.forward(new URL(target), req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    proxy = new TestProxy(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    return proxy;
  }

  /** Holds the next answer for `path` until `release()`; `answered` resolves once the app has answered. */
  hold(path: string): { answered: Promise<void>; release(): void } {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    return { answered: this.add(path, false, released), release };
  }

  /** Drops the connection of the next request for `path` after the app has answered it in full. */
  drop(path: string): { answered: Promise<void> } {
    return { answered: this.add(path, true, Promise.resolve()) };
  }

  /** Stops the proxy and closes its connections. */
  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private add(path: string, drop: boolean, released: Promise<void>): Promise<void> {
    return new Promise<void>((answered) => this.rules.push({ path, drop, answered, released }));
  }

  private async forward(target: URL, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const index = this.rules.findIndex((r) => req.url === r.path);
    const rule = index >= 0 ? this.rules.splice(index, 1)[0] : undefined;
    const upstream = http.request({
      host: target.hostname,
      port: target.port,
      method: req.method,
      path: req.url,
      headers: req.headers,
    });
    req.pipe(upstream);
    upstream.on('error', () => res.destroy());
    const answer = await new Promise<IncomingMessage>((resolve) => upstream.on('response', resolve));
    const chunks: Buffer[] = [];
    for await (const chunk of answer) chunks.push(chunk as Buffer);
    rule?.answered();
    if (rule?.drop) return void req.socket.destroy();
    await rule?.released;
    // Every answer closes its connection: Chromium silently retries a GET whose reused connection closes
    // without an answer, which would undo a dropped answer.
    const headers: string[] = [];
    for (let i = 0; i < answer.rawHeaders.length; i += 2) {
      const name = answer.rawHeaders[i]!;
      if (!/^(connection|keep-alive|transfer-encoding|content-length)$/i.test(name))
        headers.push(name, answer.rawHeaders[i + 1]!);
    }
    const body = Buffer.concat(chunks);
    res.writeHead(answer.statusCode ?? 502, [...headers, 'content-length', String(body.length), 'connection', 'close']);
    res.end(body);
  }
}
