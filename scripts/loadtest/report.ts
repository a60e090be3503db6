/** @module The human-readable summary of a load-test result (the JSON file holds the same data). */
import type { LoadTestResult } from './run';
import { RATE_LIMIT_HINT } from './setup';

const n = (v: number) => v.toLocaleString('en-US');

/** Formats a result for the terminal. */
export function formatReport(r: LoadTestResult): string {
  const a = r.audit;
  const lines = [
    '',
    `refresh load test against ${r.options.url}`,
    `  setup      ${n(r.setup.users)} users, ${n(r.setup.sessions)} sessions (sign-up ${r.setup.signupSeconds.toFixed(1)} s, sign-in ${r.setup.signinSeconds.toFixed(1)} s)`,
    `  clients    ${r.clients.honest} honest, ${r.clients.race} racing, ${r.clients.attacker} attacking, ${r.clients.lossy} losing responses; grace ${r.options.graceSeconds} s`,
    `  requests   ${n(r.requests.total)} in ${r.elapsedSeconds.toFixed(2)} s = ${n(Math.round(r.throughput.requestsPerSecond))} req/s ` +
      `(${n(Math.round(r.throughput.rotationsPerSecond))} rotations/s, ${n(r.requests.ok)} ok)`,
    `  latency ms p50 ${r.latencyMs.p50}  p90 ${r.latencyMs.p90}  p99 ${r.latencyMs.p99}  max ${r.latencyMs.max}  (mean ${r.latencyMs.mean})`,
    `  errors     ${
      Object.keys(r.requests.errors).length
        ? Object.entries(r.requests.errors)
            .map(([k, v]) => `${k}=${n(v)}`)
            .join('  ')
        : 'none'
    }`,
    '',
    'audit',
    `  honest sessions wrongly revoked       ${a.violations.honestWronglyRevoked}`,
    `  stale replays accepted after grace    ${a.violations.staleReplaysAcceptedAfterGrace}   (of ${a.attacks.attempted} replays; ${a.attacks.detected} detected as token_reused, ${a.attacks.victimRefused} victims then refused${a.attacks.familiesRevokedInRedis === null ? '' : `, ${a.attacks.familiesRevokedInRedis} families revoked in Redis`})`,
    `  attacked families not revoked         ${a.violations.attackedFamiliesNotRevoked}`,
    `  recoveries with another token         ${a.violations.recoveriesWithAnotherToken}   (recovered: ${a.recovered.lossy} lost responses retried late, ${a.recovered.thief} thieves' first replays${a.recovered.redis === null ? '' : `; ${a.recovered.redis} in Redis`})`,
    `  race bursts with different successors ${a.violations.raceDivergentSuccessors}   (of ${n(r.clientsSeen.raceBursts)} bursts, ${n(r.clientsSeen.raceRequests)} requests)`,
    `  200s without a new token              ${a.violations.badSuccessBodies}`,
    a.rotations.redis === null
      ? `  rotations                             ${n(a.rotations.observed)} observed (Redis not audited)`
      : `  rotations Redis vs responses          ${n(a.rotations.redisCertain ?? 0)} vs ${n(a.rotations.observedCertain)} ${a.rotations.match ? '(exact match)' : '(MISMATCH)'}; sessions off: ${a.violations.rotationMismatchSessions}`,
    ...(r.clientsSeen.rateLimited > 0
      ? [
          `  rate limited (429)                    ${n(r.clientsSeen.rateLimited)} answers; ${r.clientsSeen.inconclusiveReplays} replays got no verdict. Not a violation, but it distorts the run:`,
          ...RATE_LIMIT_HINT.split('\n').map((l) => `    ${l}`),
        ]
      : []),
    `  excused (server slower than grace)    ${a.excused.lateRaces} late races, ${a.excused.lateRetries} late retries; ${a.excused.uncertainSessions} sessions with lost responses (not matched)`,
    `  sessions at the end                   ${Object.entries(a.sessions)
      .map(([k, v]) => `${k}=${v}`)
      .join('  ')}`,
    ...a.examples.map((e) => `    - ${e}`),
    '',
    a.ok
      ? 'AUDIT OK'
      : `AUDIT FAILED: ${Object.entries(a.violations)
          .filter(([, v]) => v > 0)
          .map(([k, v]) => `${k}=${v}`)
          .join(', ')}`,
  ];
  return lines.join('\n');
}
