/**
 * @module Counters and a latency histogram for one run. The histogram is hdr-histogram-js (already
 * installed as autocannon's dependency): constant memory however many requests a run makes.
 */
import hdr from 'hdr-histogram-js';

/** Latency percentiles in milliseconds. */
export interface LatencySummary {
  count: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** Records latencies (ms, kept at µs resolution) and counts outcomes by label. */
export class RunStats {
  private readonly histogram = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 120_000_000,
    numberOfSignificantValueDigits: 3,
  });
  /** Responses by outcome: `200`, or the API error code / transport label. */
  readonly outcomes = new Map<string, number>();
  requests = 0;
  ok = 0;
  /** 200 responses that handed out a token the client had not seen before (= rotations). */
  rotations = 0;
  private lastRequests = 0;

  /** Records one finished request. */
  record(ms: number, outcome: string): void {
    this.requests += 1;
    if (outcome === '200') this.ok += 1;
    this.histogram.recordValue(Math.max(1, Math.round(ms * 1000)));
    this.outcomes.set(outcome, (this.outcomes.get(outcome) ?? 0) + 1);
  }

  /** Requests finished since the previous call (for the per-second progress line). */
  takeInterval(): number {
    const n = this.requests - this.lastRequests;
    this.lastRequests = this.requests;
    return n;
  }

  /** Latency summary so far. */
  latency(): LatencySummary {
    const h = this.histogram;
    const ms = (us: number) => Math.round(us) / 1000;
    return {
      count: h.totalCount,
      mean: ms(h.mean),
      p50: ms(h.getValueAtPercentile(50)),
      p90: ms(h.getValueAtPercentile(90)),
      p99: ms(h.getValueAtPercentile(99)),
      max: ms(h.maxValue),
    };
  }

  /** Non-200 outcomes, most frequent first. */
  errors(): Record<string, number> {
    return Object.fromEntries([...this.outcomes].filter(([k]) => k !== '200').sort((a, b) => b[1] - a[1]));
  }
}
