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
    signal: () => AbortSignal.timeout(timeoutMs),
  });
}
