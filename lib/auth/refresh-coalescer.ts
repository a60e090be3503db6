/**
 * @module Coalesces concurrent refreshes of the same refresh token inside one process or isolate:
 * the first caller rotates, the others await its result, and late callers still holding the old
 * token within a few seconds get the same result without asking Redis again.
 */

const RECENT_MS = 5_000;
const MAX_RECENT = 10_000;

/** Runs at most one refresh per token at a time and remembers recent results briefly. */
export class RefreshCoalescer<T> {
  private readonly inFlight = new Map<string, Promise<T>>();
  private readonly recent = new Map<string, { at: number; value: T }>();

  /** `keep` says which results late callers may reuse (not a deferred one: the next caller should try again). */
  constructor(private readonly keep: (value: T) => boolean = () => true) {}

  /** Returns `run()`'s result for this token, sharing it with concurrent and recent callers. */
  async refresh(token: string, run: () => Promise<T>): Promise<T> {
    const hit = this.recent.get(token);
    if (hit && Date.now() - hit.at < RECENT_MS) return hit.value;
    const pending = this.inFlight.get(token);
    if (pending) return pending;
    const promise = run()
      .then((value) => {
        if (this.keep(value)) this.remember(token, value);
        return value;
      })
      .finally(() => this.inFlight.delete(token));
    this.inFlight.set(token, promise);
    return promise;
  }

  private remember(token: string, value: T): void {
    if (this.recent.size >= MAX_RECENT) {
      const now = Date.now();
      for (const [key, entry] of this.recent) if (now - entry.at >= RECENT_MS) this.recent.delete(key);
      if (this.recent.size >= MAX_RECENT) this.recent.clear();
    }
    this.recent.set(token, { at: Date.now(), value });
  }
}
