/**
 * @module The Upstash REST transport on Node: a @upstash/redis `Requester` over `node:http`/`node:https` with
 * keep-alive, instead of the client's `fetch`. One pipeline request of ~25 EVALSHAs cost ~3× the CPU through
 * Node's fetch (undici, web streams) than through `node:http` (BENCHMARKS.md), on every batch of refreshes.
 * Same protocol and semantics as the client's own transport: JSON body, bearer token, read-your-writes sync
 * token, one bounded timeout per request (never retried), `retries` quick retries of network failures, and
 * an `UpstashError` for an error answer. Plain (not base64) replies: every value we store is text.
 * On the edge (no `node:http`) createRedis keeps the client's fetch transport.
 */
import { errors, type Requester, type UpstashRequest, type UpstashResponse } from '@upstash/redis';
import { nodeBuiltin } from '../runtime/node-builtin';

type Http = typeof import('node:http');

/** Settings of the transport. */
export interface NodeRequesterOptions {
  url: string;
  token: string;
  /** Each request fails with a TimeoutError after this long. */
  timeoutMs: number;
  /** Quick retries of a request that failed on the network (not of timeouts or error answers). */
  retries: number;
  backoffMs: number;
}

/** No answer in time: never retried (a retry would double the wait of every caller). */
class TimeoutError extends Error {
  override name = 'TimeoutError';
}

/** The transport, or undefined where `node:http` is not available (edge). */
export function nodeRequester(options: NodeRequesterOptions): Requester | undefined {
  const base = new URL(options.url);
  const http = nodeBuiltin<Http>(base.protocol === 'https:' ? 'node:https' : 'node:http');
  if (!http) return undefined;
  const agent = new http.Agent({ keepAlive: true });
  const prefix = base.pathname.replace(/\/$/, '');
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${options.token}` };
  const encoder = new TextEncoder();

  const post = (path: string, text: string, extra: Record<string, string>) => {
    const body = encoder.encode(text);
    return new Promise<{ status: number; text: string; syncToken: string | undefined }>((resolve, reject) => {
      const request = http.request(
        {
          protocol: base.protocol,
          hostname: base.hostname,
          port: base.port,
          path,
          method: 'POST',
          agent,
          headers: { ...headers, ...extra, 'content-length': String(body.length) },
        },
        (response) => {
          let text = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => (text += chunk));
          response.on('end', () => {
            clearTimeout(timer);
            const sync = response.headers['upstash-sync-token'];
            resolve({ status: response.statusCode ?? 0, text, syncToken: typeof sync === 'string' ? sync : undefined });
          });
          response.on('error', reject);
        },
      );
      // The whole exchange, not socket idleness, is bounded (as the fetch transport's abort signal does).
      const timer = setTimeout(
        () => request.destroy(new TimeoutError(`Redis did not answer within ${options.timeoutMs} ms`)),
        options.timeoutMs,
      );
      timer.unref();
      request.on('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      request.end(body);
    });
  };

  const requester: Requester = {
    readYourWrites: true,
    upstashSyncToken: '',
    async request<TResult>(req: UpstashRequest): Promise<UpstashResponse<TResult>> {
      if (req.isStreaming) throw new Error('streaming commands are not supported by this transport');
      const path = [prefix, ...(req.path ?? [])].join('/') || '/';
      const body = JSON.stringify(req.body);
      const extra: Record<string, string> = { ...req.headers };
      if (requester.readYourWrites) extra['upstash-sync-token'] = requester.upstashSyncToken ?? '';
      let answer;
      for (let attempt = 0; ; attempt++) {
        try {
          answer = await post(path, body, extra);
          break;
        } catch (error) {
          if (error instanceof TimeoutError || attempt >= options.retries) throw error;
          await new Promise((resolve) => setTimeout(resolve, options.backoffMs));
        }
      }
      if (requester.readYourWrites) requester.upstashSyncToken = answer.syncToken ?? '';
      let parsed: unknown;
      try {
        parsed = JSON.parse(answer.text);
      } catch {
        throw new errors.UpstashError(`Redis REST answered HTTP ${answer.status} with a body that is not JSON`);
      }
      if (answer.status < 200 || answer.status >= 300) {
        throw new errors.UpstashError(`${(parsed as { error?: string }).error}, command was: ${body}`);
      }
      return parsed as UpstashResponse<TResult>;
    },
  };
  return requester;
}
