/**
 * @module The load test's clients as they behave through faults. Each is patient as a real client is: a 503 or
 * a lost connection keeps its token, and it tries that token again after a pause, however long the fault
 * lasts. What it sees is recorded with timestamps, so the accounting can put every outcome in its fault's
 * phase. A session that ends signs in again (as its user would), so every fault meets the same traffic.
 * Honest, racing and lossy clients must never be told their session ended; thieves' stale copies must be
 * refused and their families revoked.
 */
import {
  accept,
  example,
  isRefusal,
  refreshOnce,
  REPLAY_MARGIN_MS,
  sameCredential,
  type Attempt,
  type Findings,
} from '../clients';
import { errorCode, type HttpResult, type JsonClient } from '../http';
import type { Session, SessionKind } from '../setup';
import type { RunStats } from '../stats';
import type { Excuse, Outcome, RequestEvent, RetryEvent, Violation, ViolationKind } from './accounting';

/** A session with what a patient client remembers about its token. */
export interface ChaosSession extends Session {
  /** When the current token was first sent without an answer (503, transport): its response may be lost. */
  pendingSince: number | undefined;
  /** The current token came from a late retry, so the server may have answered it as a recovery. */
  maybeRecovered: boolean;
  /** The store rolled back (failover, restart) since this session's last success: Redis may be behind it. */
  rollbackPending: boolean;
  /** When (performance.now()) a violation ended it. */
  endedAt?: number;
}

/** The store's rollbacks so far, for thefts that straddle one and for the rotation match. */
export interface RollbackState {
  /** Increments when a rollback's loss window opens. */
  epoch: number;
  /** performance.now() when the store came back after the latest rollback. */
  storeUpAt: number;
  /**
   * True from the loss point until the store is back: the clients' own sign-ins wait, so the only session born
   * in a loss window is the fault's deliberate probe, and whether one is lost does not depend on chance.
   */
  open: boolean;
}

/** Everything the running clients share. */
export interface ChaosContext {
  client: JsonClient;
  stats: RunStats;
  findings: Findings;
  graceMs: number;
  thinkMs: number;
  deadline: number;
  rollback: RollbackState;
  requests: RequestEvent[];
  retries: RetryEvent[];
  violations: Violation[];
  excuses: Excuse[];
  /** Thefts dropped because the store rolled back between the theft and the replay. */
  theftsAcrossRollback: number;
  /** Sessions whose thief got no verdict before the run ended (or whose attack a fault cut short). */
  inconclusiveAttacks: number;
  /** Signs in a new session for a client of `kind` (null when the sign-in failed: retried later). */
  signIn(kind: SessionKind): Promise<ChaosSession | null>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** How an HTTP result counts in the accounting. */
export function outcomeOf(r: HttpResult): Outcome {
  if (r.status === 200) return 'ok';
  if (r.status === 0) return 'transport';
  if (r.status === 503) return 'unavailable';
  if (r.status === 429) return 'rate_limited';
  if (r.status >= 400 && r.status < 500 && r.status !== 408) return 'refused';
  return 'other';
}

/** Records a violation (and the findings counter the Redis-side audit reads). */
export function violation(ctx: ChaosContext, at: number, kind: ViolationKind, detail: string): void {
  ctx.violations.push({ at, kind, detail });
  example(ctx, detail);
}

/** One refresh, recorded. */
async function attempt(ctx: ChaosContext, token: string): Promise<Attempt> {
  const bad = ctx.findings.badSuccessBodies;
  const a = await refreshOnce(ctx, token);
  ctx.requests.push({ at: a.at, what: 'refresh', outcome: outcomeOf(a.r) });
  if (ctx.findings.badSuccessBodies > bad)
    ctx.violations.push({ at: a.at, kind: 'bad_success_body', detail: '200 without a new token' });
  return a;
}

/** The client takes a successor it was answered. */
function gotToken(ctx: ChaosContext, s: ChaosSession, a: Attempt, token: string): void {
  if (s.pendingSince !== undefined) {
    const late = a.at - s.pendingSince > ctx.graceMs;
    ctx.retries.push({ at: a.at, late });
    s.maybeRecovered = late;
    s.pendingSince = undefined;
  } else s.maybeRecovered = false;
  if (a.at > ctx.rollback.storeUpAt) s.rollbackPending = false;
  accept(ctx, s, token);
}

/** No answer (503, transport error): the client keeps its token; its response may have been lost. */
function noAnswer(s: ChaosSession, a: Attempt): void {
  s.pendingSince ??= a.at - a.r.ms;
}

/** What the double-loss case answers: reuse, or, when that answer was lost too, the revocation it left. */
const REUSE_CODES = new Set(['token_reused', 'token_revoked']);

/** A 401/403/400 to a client that presented its own newest token. */
function refused(ctx: ChaosContext, s: ChaosSession, a: Attempt, what: string): void {
  // The one case the rules sign out by design (docs/security.md): this token's answer was lost and retried after
  // the window, right after another late retry. A thief taking turns looks exactly like it.
  // Its lost answer may have rotated the family, so Redis can be one rotation ahead: not matched exactly.
  if (
    s.pendingSince !== undefined &&
    a.at - s.pendingSince > ctx.graceMs &&
    s.maybeRecovered &&
    REUSE_CODES.has(errorCode(a.r))
  ) {
    s.state = 'uncertain';
    ctx.findings.lateRetries += 1;
    ctx.excuses.push({
      at: a.at,
      detail: `session #${s.index} (${s.kind}): two lost responses in a row, both retried after the window`,
    });
    return;
  }
  s.state = 'wrongly_revoked';
  s.endedAt = a.at;
  ctx.findings.wronglyRevoked += 1;
  violation(ctx, a.at, 'honest_session_ended', `session #${s.index} (${s.kind}) ${what}: HTTP ${a.r.status} ${errorCode(a.r)}`);
}

/** Presents the newest token once. */
async function honestStep(ctx: ChaosContext, s: ChaosSession): Promise<void> {
  const a = await attempt(ctx, s.token);
  if (a.token) return gotToken(ctx, s, a, a.token);
  if (isRefusal(a.r))
    return refused(ctx, s, a, s.pendingSince === undefined ? 'presented its newest token' : 'retried its token after a fault');
  if (a.r.status === 429) ctx.findings.rateLimited += 1;
  else if (a.r.status !== 200) noAnswer(s, a);
}

/** Sends the newest token 2–5 times at once (tabs); all successes must carry one successor. */
async function raceStep(ctx: ChaosContext, s: ChaosSession, burst: number): Promise<void> {
  const presented = s.token;
  const t0 = performance.now();
  const attempts = await Promise.all(Array.from({ length: burst }, () => attempt(ctx, presented)));
  ctx.findings.race.bursts += 1;
  ctx.findings.race.requests += burst;
  const successors = new Set(attempts.flatMap((a) => (a.token ? [a.token] : [])));
  if (successors.size > 1) {
    ctx.findings.race.divergent += 1;
    violation(
      ctx,
      performance.now(),
      'race_divergent',
      `session #${s.index}: ${burst} racing copies got ${successors.size} successors`,
    );
  }
  for (const a of attempts) {
    if (!isRefusal(a.r) || s.state !== 'active') continue;
    // A copy that reached Redis more than the window after the rotation is refused by design (as in the load test).
    if (a.at - t0 > ctx.graceMs) {
      s.state = 'late';
      ctx.findings.race.late += 1;
    } else refused(ctx, s, a, `raced its newest token ${burst}x`);
  }
  if (s.state !== 'active') return;
  const first = attempts.find((a) => a.token);
  if (first?.token) {
    gotToken(ctx, s, first, first.token);
    // A copy answered after the window may have been a recovery: the next lost answer must not be retried late.
    if (attempts.some((a) => a.token && a.at - t0 > ctx.graceMs)) s.maybeRecovered = true;
  } else {
    const lost = attempts.find((a) => a.r.status !== 429);
    if (lost) noAnswer(s, lost);
  }
}

/** Lossy clients drop the answer of every third refresh on purpose and retry it after the window. */
async function lossyStep(ctx: ChaosContext, s: ChaosSession, turn: number): Promise<void> {
  // Never a deliberate loss right after a possible recovery, or while a fault already holds an answer.
  if (turn % 3 !== 0 || s.maybeRecovered || s.pendingSince !== undefined) return honestStep(ctx, s);
  const presented = s.token;
  const dropped = await attempt(ctx, presented);
  if (!dropped.token) {
    if (isRefusal(dropped.r)) return refused(ctx, s, dropped, 'presented its newest token');
    if (dropped.r.status !== 429) noAnswer(s, dropped);
    return;
  }
  const retryAt = dropped.at + ctx.graceMs + REPLAY_MARGIN_MS;
  if (retryAt > ctx.deadline) return gotToken(ctx, s, dropped, dropped.token);
  await sleep(retryAt - performance.now());
  const retry = await attempt(ctx, presented);
  if (retry.token) {
    if (!sameCredential(retry.token, dropped.token)) {
      ctx.findings.wrongRecoveries += 1;
      violation(ctx, retry.at, 'wrong_recovery', `session #${s.index}: a late retry of a lost response got another token`);
    }
    ctx.findings.recovered.lossy += 1;
    s.recoveries += 1;
    gotToken(ctx, s, retry, retry.token);
    s.maybeRecovered = true;
    return;
  }
  if (isRefusal(retry.r)) return refused(ctx, s, retry, 'retried a lost response after the grace window');
  // A fault ate the retry too: the client still holds the token it sent, answered once already.
  s.pendingSince = dropped.at - dropped.r.ms;
}

/** A thief's replay, retried through faults until the server gives a verdict (undefined: none before the end). */
async function replayUntilVerdict(ctx: ChaosContext, token: string): Promise<Attempt | undefined> {
  while (performance.now() < ctx.deadline + 5000) {
    const a = await attempt(ctx, token);
    if (a.r.status === 200 || isRefusal(a.r)) return a;
    ctx.findings.inconclusiveReplays += 1;
    await sleep(ctx.thinkMs);
  }
  return undefined;
}

/**
 * One theft, as in the load test (the victim moves on, the thief replays its copy after the window), but any
 * step a fault interrupts makes the attack inconclusive rather than a verdict, and a theft whose replay comes
 * after a store rollback is dropped: the store no longer knows the copy was superseded.
 */
async function attackStep(ctx: ChaosContext, s: ChaosSession, variant: number): Promise<void> {
  const epoch = ctx.rollback.epoch;
  const moved = async () => {
    const before = s.rotations;
    await honestStep(ctx, s);
    return s.state === 'active' && s.pendingSince === undefined && s.rotations === before + 1;
  };
  if (!(await moved())) return;
  // Paced like every other step, so no session rotates faster than the others while a fault plays.
  await sleep(ctx.thinkMs);
  let stolen = s.token;
  const rotationsAtTheft = s.rotations;
  if (!(await moved())) return; // `stolen` is now the predecessor
  const wait = ctx.graceMs + REPLAY_MARGIN_MS;
  const replayAt = performance.now() + wait;
  if (replayAt + (variant % 2 === 0 ? wait : 0) > ctx.deadline) return;
  while (variant % 2 === 1 && performance.now() + ctx.thinkMs < replayAt) {
    if (!(await moved())) return; // the victim stays active: the copy becomes older than the predecessor
    await sleep(ctx.thinkMs);
  }
  await sleep(replayAt - performance.now());
  if (ctx.rollback.epoch !== epoch) return void (ctx.theftsAcrossRollback += 1);
  const inconclusive = () => {
    ctx.inconclusiveAttacks += 1;
    s.state = 'uncertain';
  };
  let verdict = await replayUntilVerdict(ctx, stolen);
  if (!verdict || ctx.rollback.epoch !== epoch) return inconclusive();
  if (s.rotations === rotationsAtTheft + 1 && verdict.token) {
    // The predecessor of an unused token: recovered, and exactly the victim's token.
    ctx.findings.recovered.thief += 1;
    if (!sameCredential(verdict.token, s.token)) {
      ctx.findings.wrongRecoveries += 1;
      violation(ctx, verdict.at, 'wrong_recovery', `session #${s.index}: a thief's recovery got a token other than the victim's`);
      return;
    }
    stolen = verdict.token;
    if (!(await moved())) return inconclusive(); // the victim uses the shared token first
    await sleep(wait);
    verdict = await replayUntilVerdict(ctx, stolen);
    if (!verdict || ctx.rollback.epoch !== epoch) return inconclusive();
  }
  // A copy no key verifies any more (a secret replaced without a ring) says nothing about theft detection.
  if (errorCode(verdict.r) === 'invalid_token') return inconclusive();
  ctx.findings.attacks.attempted += 1;
  if (verdict.token) {
    ctx.findings.staleReplaysAccepted += 1;
    violation(ctx, verdict.at, 'stale_replay_accepted', `session #${s.index}: a copy superseded ${wait} ms earlier got 200`);
    accept(ctx, s, verdict.token);
    return;
  }
  if (errorCode(verdict.r) === 'token_reused') ctx.findings.attacks.detected += 1;
  s.state = 'attacked';
  const victim = await replayUntilVerdict(ctx, s.token);
  if (victim?.token) {
    ctx.findings.attacks.victimStillWorks += 1;
    violation(ctx, victim.at, 'theft_not_caught', `session #${s.index}: after a refused replay the victim's token still rotated`);
    accept(ctx, s, victim.token);
  } else if (victim) ctx.findings.attacks.victimRefused += 1;
}

/** Drives one client until the deadline, signing in again whenever it has fewer live sessions than it began with. */
export async function chaosClientLoop(ctx: ChaosContext, kind: SessionKind, own: ChaosSession[]): Promise<void> {
  const want = Math.max(1, own.length);
  let turn = 0;
  while (performance.now() < ctx.deadline) {
    const live = own.filter((s) => s.state === 'active');
    if (live.length < want) {
      const fresh = await ctx.signIn(kind);
      if (fresh) own.push(fresh);
      else await sleep(ctx.thinkMs);
      continue;
    }
    const s = live[turn % live.length] as ChaosSession;
    turn += 1;
    if (kind === 'race') await raceStep(ctx, s, 2 + (turn % 4));
    else if (kind === 'attacker') await attackStep(ctx, s, turn);
    else if (kind === 'lossy') await lossyStep(ctx, s, turn);
    else await honestStep(ctx, s);
    await sleep(ctx.thinkMs);
  }
}
