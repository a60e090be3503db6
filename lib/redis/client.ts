/** @module The one Redis client of the app: @upstash/redis over REST, with bounded timeouts. */
import { Redis } from '@upstash/redis';

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

/** Creates an Upstash REST client; raw strings in, raw strings out (no JSON guessing). */
export function createRedis({ url, token, timeoutMs }: RedisOptions): Redis {
  return new Redis({
    url,
    token,
    automaticDeserialization: false,
    enableTelemetry: false,
    // One quick retry covers a dropped keep-alive connection; more would stretch a Redis outage
    // into multi-second hangs for every caller.
    retry: { retries: 1, backoff: () => 20 },
    signal: () => timeoutSignal(timeoutMs),
  });
}
