/**
 * @module A small keep-alive JSON client over node:http(s). Lighter on CPU than global fetch, which
 * matters here: on a small machine the load generator competes with the server for the same cores.
 */
import http from 'node:http';
import https from 'node:https';

/** One HTTP exchange: status (0 for a transport failure), parsed JSON body, latency in ms. */
export interface HttpResult {
  status: number;
  body: unknown;
  ms: number;
  /** Set when the request failed below HTTP (connection reset, timeout). */
  transportError?: string;
}

/** A JSON client bound to one origin with a bounded keep-alive pool. */
export class JsonClient {
  private readonly agent: http.Agent;
  private readonly base: URL;
  private readonly lib: typeof http | typeof https;

  constructor(
    baseUrl: string,
    maxSockets: number,
    private readonly timeoutMs: number,
  ) {
    this.base = new URL(baseUrl);
    this.lib = this.base.protocol === 'https:' ? https : http;
    const Agent = this.base.protocol === 'https:' ? https.Agent : http.Agent;
    this.agent = new Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets, scheduling: 'lifo' });
  }

  /** POSTs a JSON body; never throws (transport failures come back as status 0). */
  post(path: string, payload: unknown): Promise<HttpResult> {
    return this.request('POST', path, JSON.stringify(payload));
  }

  /** GETs a path; never throws. */
  get(path: string): Promise<HttpResult> {
    return this.request('GET', path, undefined);
  }

  /** Closes idle keep-alive sockets. */
  close(): void {
    this.agent.destroy();
  }

  private request(method: string, path: string, body: string | undefined): Promise<HttpResult> {
    const started = performance.now();
    return new Promise((resolve) => {
      const headers: Record<string, string | number> = { accept: 'application/json' };
      if (body !== undefined) {
        headers['content-type'] = 'application/json';
        headers['content-length'] = Buffer.byteLength(body);
      }
      const req = this.lib.request(
        {
          protocol: this.base.protocol,
          hostname: this.base.hostname,
          port: this.base.port,
          path: this.base.pathname.replace(/\/$/, '') + path,
          method,
          headers,
          agent: this.agent,
          timeout: this.timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown = text;
            try {
              parsed = text ? JSON.parse(text) : null;
            } catch {
              // Non-JSON bodies (an HTML error page from a proxy) are kept as text for the error report.
            }
            resolve({ status: res.statusCode ?? 0, body: parsed, ms: performance.now() - started });
          });
          res.on('error', (error) =>
            resolve({ status: 0, body: null, ms: performance.now() - started, transportError: error.message }),
          );
        },
      );
      req.on('timeout', () => req.destroy(new Error(`timeout after ${this.timeoutMs} ms`)));
      req.on('error', (error) =>
        resolve({
          status: 0,
          body: null,
          ms: performance.now() - started,
          transportError: (error as NodeJS.ErrnoException).code ?? error.message,
        }),
      );
      req.end(body);
    });
  }
}

/** The `error.code` of an API error body, or a label for what came back instead. */
export function errorCode(result: HttpResult): string {
  if (result.status === 0) return `transport:${result.transportError ?? 'unknown'}`;
  const body = result.body as { error?: { code?: unknown } } | null;
  const code = body && typeof body === 'object' ? body.error?.code : undefined;
  return typeof code === 'string' ? code : `http_${result.status}`;
}
