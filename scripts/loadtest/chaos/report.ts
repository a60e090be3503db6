/** @module The readable summary of a chaos run: one row per fault, then the Redis-side audit (the JSON holds the same). */
import type { FaultReport, OutcomeCounts, Verdict } from './accounting';
import type { ChaosResult } from './run';

const n = (v: number) => v.toLocaleString('en-US');
const ms = (v: number | null) => (v === null ? '—' : v < 1000 ? `${v} ms` : `${(v / 1000).toFixed(1)} s`);

const VERDICT: Record<Verdict, string> = {
  pass: 'PASS',
  fail: 'FAIL',
  expected_failure: 'EXPECTED FAILURE',
  not_shown: 'PASS (expected failure did not show)',
  caught: 'CAUGHT (self-check ok)',
};

/** Pads a table: every column as wide as its widest cell. */
function table(rows: string[][]): string[] {
  const widths = (rows[0] ?? []).map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  const lines = rows.map((r) =>
    r
      .map((cell, c) => cell.padEnd(widths[c] ?? 0))
      .join(' | ')
      .trimEnd(),
  );
  lines.splice(1, 0, widths.map((w) => '-'.repeat(w)).join('-|-'));
  return lines;
}

const failures = (c: OutcomeCounts) => `${n(c.unavailable)} / ${n(c.transport)}`;

/** Formats a result for the terminal. */
export function formatChaosReport(r: ChaosResult): string {
  const a = r.audit;
  const rows: string[][] = [
    [
      'fault',
      'verdict',
      'lasted',
      'refresh ok | 503 / lost',
      'sign-in ok | 503 / lost',
      'refresh back',
      'last fail',
      'retried ok (grace/late)',
      'sessions ended',
    ],
  ];
  for (const f of [r.baseline, ...r.faults] as FaultReport[]) {
    const ended = f.violations.honest_session_ended ?? 0;
    rows.push([
      f.id,
      VERDICT[f.verdict],
      f.id === 'baseline' ? '—' : `${f.seconds.toFixed(1)} s`,
      `${n(f.during.refreshes.ok)} | ${failures(f.during.refreshes)}`,
      `${n(f.during.signins.ok)} | ${failures(f.during.signins)}`,
      f.id === 'baseline' ? '—' : ms(f.refreshOkAfterMs),
      f.id === 'baseline' ? '—' : ms(f.lastRefreshFailureAfterMs),
      `${f.recovered.inGrace} / ${f.recovered.late}`,
      `${ended}${f.excused ? ` (+${f.excused} excused)` : ''}`,
    ]);
  }
  const lines = [
    '',
    `chaos load test: ${r.clients.honest} honest, ${r.clients.race} racing, ${r.clients.attacker} thieves, ${r.clients.lossy} losing responses; grace ${r.options.graceSeconds} s, ${r.options.apiWorkers} API workers`,
    `  build      ahead-of-store rule: ${r.capabilities.aheadRule ? 'yes (rt2)' : 'NO (rt1)'}; key rings: ${Object.entries(
      r.capabilities.keyRing,
    )
      .map(([k, v]) => `${k} ${v ? 'yes' : 'no'}`)
      .join(', ')}`,
    `  traffic    ${n(r.requests.total)} refreshes in ${r.elapsedSeconds.toFixed(1)} s (${n(r.requests.rotations)} rotations), ${n(r.signins.probes)} sign-in probes; sessions ${r.sessions.initial} + ${r.sessions.signedInAgain} signed in again`,
    `  latency ms p50 ${r.latencyMs.p50}  p90 ${r.latencyMs.p90}  p99 ${r.latencyMs.p99}  max ${r.latencyMs.max}`,
    '',
    'per fault ("lasted": injection to recovery; counts are answers received while it lasted; "refresh back": first',
    'refresh answered 200 after it ended; "last fail": last 503 or lost refresh after it ended, in its phase)',
    ...table(rows).map((l) => `  ${l}`),
  ];
  for (const f of r.faults) {
    const details = Object.entries(f.details)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
    lines.push(`  ${f.id}: ${f.title}${details ? ` — ${details}` : ''}`);
    if (f.pending && f.verdict !== 'pass') lines.push(`    pending: ${f.pending}`);
    const other = Object.entries(f.violations).filter(([k]) => f.verdict === 'fail' || k !== 'honest_session_ended');
    if (other.length) lines.push(`    violations: ${other.map(([k, v]) => `${k}=${v}`).join(', ')}`);
    const shown = f.verdict === 'pass' ? f.examples.filter((e) => e.startsWith('excused: ')) : f.examples;
    for (const e of shown.slice(0, 4)) lines.push(`    - ${e}`);
  }
  lines.push(
    '',
    'audit against Redis (sessions ended by an expected failure excluded and counted above)',
    `  honest sessions wrongly ended         ${a.violations.honestWronglyRevoked}`,
    `  stale replays accepted after grace    ${a.violations.staleReplaysAcceptedAfterGrace}   (of ${a.attacks.attempted} replays; ${a.attacks.detected} token_reused, ${a.attacks.victimRefused} victims then refused, ${a.attacks.familiesRevokedInRedis ?? '?'} families revoked in Redis)`,
    `  attacked families not revoked         ${a.violations.attackedFamiliesNotRevoked}`,
    `  recoveries with another token         ${a.violations.recoveriesWithAnotherToken}   (lost responses recovered: ${a.recovered.lossy} by lossy clients, ${a.recovered.thief} thieves' first replays; recN in Redis ${a.recovered.redis ?? '?'})`,
    `  race bursts with different successors ${a.violations.raceDivergentSuccessors}`,
    `  200s without a new token              ${a.violations.badSuccessBodies}`,
    `  rotations Redis vs responses          ${n(a.rotations.redisCertain ?? 0)} vs ${n(a.rotations.observedCertain)} ${a.rotations.match ? '(exact match)' : '(MISMATCH)'}; sessions off: ${a.violations.rotationMismatchSessions}`,
    `  not matched                           ${r.excluded.endedByExpectedFailure} ended by an expected failure, ${r.excluded.behindRolledBackStore} behind a rolled-back store at the end, ${a.excused.uncertainSessions - r.excluded.behindRolledBackStore - r.excluded.inconclusiveAttacks - r.excluded.twoLostInARow} with an answer still lost, ${r.excluded.twoLostInARow} refused after two lost answers in a row (documented), ${r.excluded.inconclusiveAttacks} attacks without a verdict; ${r.excluded.theftsDroppedAcrossRollback} thefts dropped across a rollback`,
    `  sessions at the end                   ${Object.entries(a.sessions)
      .map(([k, v]) => `${k}=${v}`)
      .join('  ')}`,
    ...a.examples
      .filter((e) => e.includes('in Redis but'))
      .slice(0, 10)
      .map((e) => `    - ${e}`),
    ...r.mismatches.slice(0, 10).map((e) => `    - ${e}`),
    '',
  );
  const expected = r.faults.filter((f) => f.verdict === 'expected_failure').map((f) => f.id);
  const failed = [r.baseline, ...r.faults].filter((f) => f.verdict === 'fail').map((f) => f.id);
  if (r.ok)
    lines.push(
      expected.length
        ? `CHAOS AUDIT OK, with EXPECTED FAILURES pending other branches: ${expected.join(', ')} (honest sessions ended there; see "pending")`
        : 'CHAOS AUDIT OK: every fault passed',
    );
  else
    lines.push(
      `CHAOS AUDIT FAILED: ${[
        ...failed.map((id) => `fault ${id}`),
        ...Object.entries(a.violations)
          .filter(([, v]) => v > 0)
          .map(([k, v]) => `${k}=${v}`),
      ].join(', ')}`,
    );
  return lines.join('\n');
}
