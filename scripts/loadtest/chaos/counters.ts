/**
 * @module The API's own telemetry during the chaos run: each worker serves its counters as Prometheus text
 * (METRICS_PORT + worker - 1, loopback only), and the run reads them before and after each fault, so the report
 * shows the counters an operator's alerts watch (dependency failures, refresh outcomes) moving with the fault.
 */

/** The counters the report follows, as `<metric>{<label>}`: what each fault should move. */
const FOLLOWED: Array<{ metric: string; label: string; as: string }> = [
  { metric: 'auth_dependency_failures_total', label: 'dependency', as: 'dependency failures' },
  { metric: 'auth_refresh_outcomes_total', label: 'outcome', as: 'refresh outcomes' },
  { metric: 'auth_signins_total', label: 'result', as: 'sign-ins' },
];

/** Counter values by `<name> <label value>`, summed over workers. */
export type CounterSnapshot = Map<string, number>;

/** Reads every worker's counters; a worker that does not answer (the API restarting) counts as zero. */
export async function readCounters(metricsPort: number, workers: number): Promise<CounterSnapshot> {
  const totals: CounterSnapshot = new Map();
  for (let i = 0; i < workers; i++) {
    const text = await fetch(`http://127.0.0.1:${metricsPort + i}/metrics`, { signal: AbortSignal.timeout(5_000) })
      .then((r) => (r.ok ? r.text() : ''))
      .catch(() => '');
    for (const line of text.split('\n')) {
      for (const { metric, label, as } of FOLLOWED) {
        if (!line.startsWith(`${metric}{`)) continue;
        const value = Number(line.slice(line.lastIndexOf(' ') + 1));
        const key = `${as} ${new RegExp(`${label}="([^"]*)"`).exec(line)?.[1] ?? '?'}`;
        if (Number.isFinite(value)) totals.set(key, (totals.get(key) ?? 0) + value);
      }
    }
  }
  return totals;
}

/**
 * What moved between two snapshots, as report details ("dependency failures redis": 12). A counter that went
 * down was reset by a restart (the rotation fault restarts the API): its new value is what moved.
 */
export function counterDeltas(before: CounterSnapshot, after: CounterSnapshot): Record<string, number> {
  const moved: Record<string, number> = {};
  for (const [key, value] of after) {
    const previous = before.get(key) ?? 0;
    const delta = value >= previous ? value - previous : value;
    if (delta > 0) moved[key] = delta;
  }
  return moved;
}

/**
 * The counters each fault must move, or the operator's alerts would miss it: Redis failures while its endpoint
 * stalls or resets, database failures while PostgreSQL is down, resumed chains after writes were lost.
 */
export const EXPECTED_MOVES: Record<string, string[]> = {
  failover: ['refresh outcomes resumed'],
  'aof-restart': ['refresh outcomes resumed'],
  'rest-stall': ['dependency failures redis'],
  'rest-reset': ['dependency failures redis'],
  'postgres-down': ['dependency failures database'],
};
