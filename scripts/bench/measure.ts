/** @module Side measurements around a load phase: PostgreSQL activity, process and machine CPU. */
import { readFile } from 'node:fs/promises';
import pg from 'pg';
import { cpuSeconds, type Proc } from './stack';

/** Counters of one database from pg_stat_database. */
export interface DbCounters {
  xact_commit: number;
  xact_rollback: number;
  tup_returned: number;
  tup_fetched: number;
  tup_inserted: number;
  tup_updated: number;
}

/**
 * Reads pg_stat_database for `database`, connecting to the `postgres` database so that this query
 * is not counted against the one we measure.
 */
export async function dbCounters(url: string, database: string): Promise<DbCounters> {
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    const { rows } = await client.query<Record<keyof DbCounters, string>>(
      'SELECT xact_commit, xact_rollback, tup_returned, tup_fetched, tup_inserted, tup_updated FROM pg_stat_database WHERE datname = $1',
      [database],
    );
    const row = rows[0];
    if (!row) throw new Error(`no pg_stat_database row for ${database}`);
    return Object.fromEntries(Object.entries(row).map(([k, v]) => [k, Number(v)])) as unknown as DbCounters;
  } finally {
    await client.end();
  }
}

/** after − before, per counter. */
export function dbDelta(before: DbCounters, after: DbCounters): DbCounters {
  return Object.fromEntries(
    Object.keys(after).map((k) => [k, after[k as keyof DbCounters] - before[k as keyof DbCounters]]),
  ) as unknown as DbCounters;
}

/** Machine-wide CPU jiffies from /proc/stat (busy, idle, steal), to see who else used the cores. */
async function machineCpu(): Promise<{ busy: number; idle: number; steal: number } | null> {
  try {
    const line = (await readFile('/proc/stat', 'utf8')).split('\n')[0] ?? '';
    const [user, nice, system, idle, iowait, irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
    return {
      busy: (user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0),
      idle: (idle ?? 0) + (iowait ?? 0),
      steal: steal ?? 0,
    };
  } catch {
    return null;
  }
}

/** The median of some numbers: the middle one, or the mean of the two middle ones (NaN for none). */
export function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return NaN;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** CPU use during a phase: seconds per process, the load generator itself, and the rest of the machine. */
export interface CpuReport {
  wallSeconds: number;
  processes: Record<string, number | null>;
  loadGenerator: number;
  /** Busy CPU seconds on the machine not accounted for by the above (other people's work). */
  others: number | null;
  /** Seconds the hypervisor took the vCPUs away (steal). */
  steal: number | null;
}

/** Starts CPU accounting; call the returned function at the end of the phase. */
export async function startCpuAccounting(procs: Proc[]): Promise<() => Promise<CpuReport>> {
  const t0 = performance.now();
  const self0 = process.cpuUsage();
  const m0 = await machineCpu();
  const p0 = await Promise.all(procs.map((p) => cpuSeconds(p.pid)));
  return async () => {
    const p1 = await Promise.all(procs.map((p) => cpuSeconds(p.pid)));
    const m1 = await machineCpu();
    const self = process.cpuUsage(self0);
    const processes: Record<string, number | null> = {};
    procs.forEach((p, i) => {
      const a = p0[i];
      const b = p1[i];
      processes[p.name] = a == null || b == null ? null : Math.round((b - a) * 100) / 100;
    });
    const loadGenerator = Math.round((self.user + self.system) / 1e4) / 100;
    const ours = Object.values(processes).reduce<number>((n, v) => n + (v ?? 0), 0) + loadGenerator;
    const busy = m0 && m1 ? (m1.busy - m0.busy) / 100 : null;
    return {
      wallSeconds: Math.round((performance.now() - t0) / 10) / 100,
      processes,
      loadGenerator,
      others: busy === null ? null : Math.max(0, Math.round((busy - ours) * 100) / 100),
      steal: m0 && m1 ? Math.round(m1.steal - m0.steal) / 100 : null,
    };
  };
}
