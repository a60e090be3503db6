/**
 * @module Per-fault accounting of a chaos run, kept free of I/O so it can be tested on its own: every request
 * outcome, retry and violation is a timestamped event, and each event belongs to the fault whose phase it falls
 * in (from the fault's start to the next fault's start: a rollback's logouts come after the fault itself).
 */

/** How a request ended, as the accounting groups it. */
export type Outcome = 'ok' | 'unavailable' | 'transport' | 'refused' | 'rate_limited' | 'other';

/** One request's outcome (times are performance.now() ms). */
export interface RequestEvent {
  at: number;
  what: 'refresh' | 'signin';
  outcome: Outcome;
}

/** Something the audit must never see. */
export type ViolationKind =
  /** An honest client was told its session ended (a 401 to its newest token, or to a lost response retried). */
  | 'honest_session_ended'
  /** A thief's copy, superseded longer ago than the grace window, got a token. */
  | 'stale_replay_accepted'
  /** After a replay was refused, the victim's newest token still rotated: the theft was not acted on. */
  | 'theft_not_caught'
  /** Racing copies of one token got different successors. */
  | 'race_divergent'
  /** A late retry of a lost response got a token other than the one the server had issued. */
  | 'wrong_recovery'
  /** A 200 without a new refresh token. */
  | 'bad_success_body'
  /** A sign-in answered something other than 200, 503 or a transport error (a 401 or a 500 during an outage). */
  | 'signin_wrong_answer'
  /** A refresh failed while only the database was down: a refresh must never touch it. */
  | 'refresh_failed_without_redis_fault'
  /** A client kept failing with its token (503, lost connections) until the end: it never got back in. */
  | 'never_recovered'
  /** An access token issued before a key rotation was refused after it. */
  | 'access_token_refused'
  /** An OAuth sign-in from NextAuth, signed with the old or the new caller secret, was refused after a rotation. */
  | 'oauth_caller_refused'
  /** The API's own counter for what a fault does (e.g. Redis failures in a stall) did not move: ops would be blind. */
  | 'counter_not_moved';

/** A violation as it happened. */
export interface Violation {
  at: number;
  kind: ViolationKind;
  detail: string;
}

/** A refusal the rules document as correct (two lost responses in a row, both retried after the window). */
export interface Excuse {
  at: number;
  detail: string;
}

/** A lost response (503, transport error) that the client got back by retrying its token. */
export interface RetryEvent {
  at: number;
  /** Retried more than the grace window after the first attempt: answered as a recovery (or a rotation). */
  late: boolean;
}

/**
 * What the run expects of a fault. `strict`: no violation at all. `expected_failure`: the rule that makes it
 * clean is not in this build (named in `pending`), so honest sessions ended in its phase are reported, not
 * failed; any other violation still fails. `must_fail`: a sabotage that the audit has to catch.
 */
export type Expectation = 'strict' | 'expected_failure' | 'must_fail';

/** One fault as it was played. */
export interface FaultWindow {
  id: string;
  title: string;
  startAt: number;
  /** When the recovery action completed (process back, proxy passing again). */
  endAt: number;
  expectation: Expectation;
  pending?: string;
  /** `must_fail` only: how many honest sessions the sabotage ended, each of which the audit must report. */
  mustCatch?: number;
  /** Only the database was down: every refresh during it must succeed. */
  refreshesMustSucceed?: boolean;
  /** Fault-specific figures (writes lost, connections reset, ...). */
  details: Record<string, number | string>;
}

/** Counts of outcomes. */
export type OutcomeCounts = Record<Outcome, number>;

/** The verdict of one fault. */
export type Verdict = 'pass' | 'fail' | 'expected_failure' | 'not_shown' | 'caught';

/** The per-fault figures of the report. */
export interface FaultReport {
  id: string;
  title: string;
  expectation: Expectation;
  pending?: string;
  seconds: number;
  during: { refreshes: OutcomeCounts; signins: OutcomeCounts };
  after: { refreshes: OutcomeCounts; signins: OutcomeCounts };
  /** ms from the end of the fault to the first refresh answered 200 (null: none in its phase). */
  refreshOkAfterMs: number | null;
  /** ms from the end of the fault to the last refresh answered 503 or lost in transport in its phase (0: none). */
  lastRefreshFailureAfterMs: number;
  /** ms from the end of the fault to the first sign-in answered 200 (null: none in its phase). */
  signinOkAfterMs: number | null;
  /** Lost responses got back by retrying the same token: inside the grace window, and after it. */
  recovered: { inGrace: number; late: number };
  violations: Partial<Record<ViolationKind, number>>;
  /** Honest sessions ended in the phase of an expected failure (or of the self-check's sabotage). */
  expectedEnded: number;
  excused: number;
  examples: string[];
  details: Record<string, number | string>;
  verdict: Verdict;
}

const emptyCounts = (): OutcomeCounts => ({ ok: 0, unavailable: 0, transport: 0, refused: 0, rate_limited: 0, other: 0 });

/** Index of the fault whose phase `at` falls in, or -1 before the first (the baseline). */
export function phaseOf(faults: FaultWindow[], at: number): number {
  let index = -1;
  for (let i = 0; i < faults.length; i++) if ((faults[i] as FaultWindow).startAt <= at) index = i;
  return index;
}

/** The kinds an expected failure (or a sabotage) is allowed to show. */
const EXPECTED_KINDS: ReadonlySet<ViolationKind> = new Set(['honest_session_ended', 'oauth_caller_refused']);

/** Judges one fault from its events. */
function verdictOf(expectation: Expectation, violations: Partial<Record<ViolationKind, number>>, mustCatch = 1): Verdict {
  const unexpected = Object.entries(violations)
    .filter(([kind]) => expectation === 'strict' || !EXPECTED_KINDS.has(kind as ViolationKind))
    .reduce((n, [, v]) => n + (v ?? 0), 0);
  const ended = violations.honest_session_ended ?? 0;
  const shown = ended + (violations.oauth_caller_refused ?? 0);
  if (expectation === 'strict') return unexpected === 0 ? 'pass' : 'fail';
  if (unexpected > 0) return 'fail';
  if (expectation === 'must_fail') return ended >= Math.max(1, mustCatch) ? 'caught' : 'fail';
  return shown > 0 ? 'expected_failure' : 'not_shown';
}

/** Everything the accounting reads. */
export interface Timeline {
  runStart: number;
  runEnd: number;
  faults: FaultWindow[];
  requests: RequestEvent[];
  retries: RetryEvent[];
  violations: Violation[];
  excuses: Excuse[];
}

/** The baseline (before the first fault) and every fault, judged. */
export function accountFaults(t: Timeline): { baseline: FaultReport; faults: FaultReport[] } {
  const baselineWindow: FaultWindow = {
    id: 'baseline',
    title: 'no fault (before the first one)',
    startAt: t.runStart,
    endAt: t.runStart,
    expectation: 'strict',
    details: {},
  };
  const windows = [baselineWindow, ...t.faults];
  const reports = windows.map((w, i) => {
    const phaseEnd = i + 1 < windows.length ? (windows[i + 1] as FaultWindow).startAt : t.runEnd;
    const inPhase = (at: number) => (i === 0 ? at < phaseEnd : at >= w.startAt && at < phaseEnd);
    const during = { refreshes: emptyCounts(), signins: emptyCounts() };
    const after = { refreshes: emptyCounts(), signins: emptyCounts() };
    let refreshOkAfterMs: number | null = null;
    let signinOkAfterMs: number | null = null;
    let lastRefreshFailureAfterMs = 0;
    const violations: Partial<Record<ViolationKind, number>> = {};
    const examples: string[] = [];
    const add = (kind: ViolationKind, detail: string) => {
      violations[kind] = (violations[kind] ?? 0) + 1;
      if (examples.length < 8) examples.push(detail);
    };
    for (const r of t.requests) {
      if (!inPhase(r.at)) continue;
      const isDuring = i > 0 && r.at <= w.endAt;
      const bucket = isDuring ? during : after;
      (r.what === 'refresh' ? bucket.refreshes : bucket.signins)[r.outcome] += 1;
      if (isDuring) {
        if (w.refreshesMustSucceed && r.what === 'refresh' && (r.outcome === 'unavailable' || r.outcome === 'transport'))
          add('refresh_failed_without_redis_fault', `a refresh was answered ${r.outcome} while only the database was down`);
        continue;
      }
      const since = r.at - w.endAt;
      if (r.what === 'refresh' && r.outcome === 'ok' && refreshOkAfterMs === null) refreshOkAfterMs = since;
      if (r.what === 'signin' && r.outcome === 'ok' && signinOkAfterMs === null) signinOkAfterMs = since;
      if (r.what === 'refresh' && (r.outcome === 'unavailable' || r.outcome === 'transport'))
        lastRefreshFailureAfterMs = Math.max(lastRefreshFailureAfterMs, since);
    }
    const recovered = { inGrace: 0, late: 0 };
    for (const r of t.retries) if (inPhase(r.at)) recovered[r.late ? 'late' : 'inGrace'] += 1;
    for (const v of t.violations) if (inPhase(v.at)) add(v.kind, v.detail);
    const excuses = t.excuses.filter((e) => inPhase(e.at));
    const excused = excuses.length;
    for (const e of excuses.slice(0, 3)) examples.push(`excused: ${e.detail}`);
    const verdict = verdictOf(w.expectation, violations, w.mustCatch);
    return {
      id: w.id,
      title: w.title,
      expectation: w.expectation,
      ...(w.pending ? { pending: w.pending } : {}),
      seconds: i === 0 ? 0 : (w.endAt - w.startAt) / 1000,
      during,
      after,
      refreshOkAfterMs: refreshOkAfterMs === null ? null : Math.round(refreshOkAfterMs),
      lastRefreshFailureAfterMs: Math.round(lastRefreshFailureAfterMs),
      signinOkAfterMs: signinOkAfterMs === null ? null : Math.round(signinOkAfterMs),
      recovered,
      violations,
      expectedEnded: w.expectation === 'strict' ? 0 : (violations.honest_session_ended ?? 0),
      excused,
      examples,
      details: w.details,
      verdict,
    } satisfies FaultReport;
  });
  return { baseline: reports[0] as FaultReport, faults: reports.slice(1) };
}

/** Whether an ended session's end is excused by the expectation of the fault it happened in. */
export function endIsExpected(faults: FaultWindow[], at: number): boolean {
  const i = phaseOf(faults, at);
  return i >= 0 && (faults[i] as FaultWindow).expectation !== 'strict';
}
