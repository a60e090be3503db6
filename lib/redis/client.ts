/** @module The one Redis client of the app: @upstash/redis over REST, with bounded timeouts. */
import { Redis, type Requester } from '@upstash/redis';
import { DependencyError } from '../auth/errors';
import { nodeRequester } from './node-requester';
import { telemetry } from '../observability/telemetry';

export type { Redis } from '@upstash/redis';

/** Options for {@link createRedis}. */
export interface RedisOptions {
  url: string;
  token: string;
  /** Each request is aborted after this long, so a dead Redis yields an error instead of a hang. */
  timeoutMs: number;
}

/** An AbortSignal that fires after `ms`; cheaper than AbortSignal.timeout on Node's hot path (measured). */
function timeoutSignal(ms: number): AbortSignal {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new DOMException('Redis did not answer in time', 'TimeoutError')), ms);
  // Do not keep a Node process alive for a request that has long finished (edge timers have no unref).
  (timer as { unref?: () => void }).unref?.();
  return controller.signal;
}

/**
 * Makes every failed request to Redis (refused, reset, timed out, or answered with an error) a
 * DependencyError, whatever the transport, so callers classify by type, not by message. Replies that
 * carry a command's own error inside a pipeline are not requests that failed, and stay as they are.
 */
function guard(requester: Requester): Requester {
  const request = requester.request.bind(requester);
  // The requester also carries state the client reads and writes (read-your-writes token), so it is
  // changed in place rather than wrapped in a new object.
  const send = async (req: Parameters<Requester['request']>[0]) => {
    try {
      return await request(req);
    } catch (error) {
      throw error instanceof DependencyError ? error : new DependencyError('redis', error);
    }
  };
  requester.request = ((req: Parameters<Requester['request']>[0]) =>
    telemetry().enabled ? traced(req, send) : send(req)) as Requester['request'];
  return requester;
}

/**
 * One span and one latency sample per request to Redis: a pipeline (`/pipeline`, `/multi-exec`) is one span
 * with its command count; a single command is named by its command (EVALSHA, HGET, ...). Never keys or values.
 */
async function traced<T>(
  req: Parameters<Requester['request']>[0],
  send: (req: Parameters<Requester['request']>[0]) => Promise<T>,
): Promise<T> {
  const sink = telemetry();
  const kind = req.path?.[0];
  const body = req.body as unknown[] | undefined;
  const batch = kind === 'pipeline' || kind === 'multi-exec';
  const operation = batch ? kind.toUpperCase() : String((body as string[] | undefined)?.[0] ?? 'unknown').toUpperCase();
  const started = performance.now();
  let outcome = 'ok';
  try {
    return await sink.span(
      `redis ${operation}`,
      'client',
      { 'db.system.name': 'redis', 'db.operation.name': operation, 'db.operation.batch.size': batch ? (body?.length ?? 0) : 1 },
      () => send(req),
    );
  } catch (error) {
    outcome = 'error';
    throw error;
  } finally {
    sink.observe('auth.redis.duration', (performance.now() - started) / 1000, { operation, outcome });
  }
}

/** Reads the requester of a fetch-based client (a protected member), so that it can be guarded too. */
class RequesterOf extends Redis {
  static of(redis: Redis): Requester {
    return (redis as RequesterOf).client;
  }
}

/** @upstash/redis over a transport of our own, with the options createRedis gives the fetch-based client. */
class RequesterRedis extends Redis {
  constructor(requester: Requester) {
    super(requester);
    this.opts = { automaticDeserialization: false };
    this.enableTelemetry = false;
    // What the client's own constructor returns with auto-pipelining on (its default).
    return this.autoPipeline() as RequesterRedis;
  }
}

/**
 * Creates an Upstash REST client; raw strings in, raw strings out (no JSON guessing). On Node it speaks
 * `node:http` (node-requester.ts, cheaper per request than fetch); on the edge, the client's fetch.
 */
export function createRedis({ url, token, timeoutMs }: RedisOptions): Redis {
  // One quick retry covers a dropped keep-alive connection; more would stretch a Redis outage
  // into multi-second hangs for every caller.
  const requester = nodeRequester({ url, token, timeoutMs, retries: 1, backoffMs: 20 });
  if (requester) return new RequesterRedis(guard(requester));
  const redis = new Redis({
    url,
    token,
    automaticDeserialization: false,
    enableTelemetry: false,
    retry: { retries: 1, backoff: () => 20 },
    signal: () => timeoutSignal(timeoutMs),
  });
  guard(RequesterOf.of(redis));
  return redis;
}
