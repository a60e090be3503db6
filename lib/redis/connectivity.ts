/**
 * @module Cached Redis connectivity: at most one PING per interval per process or edge isolate, with
 * a short timeout, so hot paths can ask "is Redis up?" without a round trip or a hang.
 */
import { withTimeout } from '../runtime/with-timeout';
import type { Redis } from './client';

/** Answers from the last probe; refreshes it in the background when it is older than the interval. */
export class ConnectivityProbe {
  private up = true;
  private checkedAt = 0;
  private pending: Promise<void> | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly intervalMs: number,
    private readonly timeoutMs: number,
    /** The clock; tests pass their own so that nothing depends on how fast the machine is. */
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether Redis answered the last probe. The first call waits for a probe; later ones never do. */
  async isUp(): Promise<boolean> {
    if (this.now() - this.checkedAt >= this.intervalMs) {
      this.pending ??= this.probe().finally(() => (this.pending = undefined));
      if (this.checkedAt === 0) await this.pending;
    }
    return this.up;
  }

  /** Resolves once the probe in flight, if any, has answered. */
  async settled(): Promise<void> {
    await this.pending;
  }

  private async probe(): Promise<void> {
    try {
      await withTimeout(this.redis.ping(), this.timeoutMs);
      this.up = true;
    } catch {
      this.up = false;
    } finally {
      this.checkedAt = this.now();
    }
  }
}
