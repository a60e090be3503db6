/**
 * @module The client loops of a run. Honest clients always present their session's newest token;
 * race clients send the same token 2–5 times at once (tabs) and must all get one identical successor;
 * lossy clients drop every third response and retry its token after the grace window, which must be
 * recovered (the same successor), never refused; attacker clients keep a copy of a superseded token
 * and replay it after the grace window: a copy older than the predecessor must be refused at once,
 * a copy of the predecessor gets at most the token the victim holds and must be refused at the
 * thief's next step, once the victim has moved on. A refusal must revoke the family.
 */
import { errorCode, type HttpResult, type JsonClient } from './http';
import type { Session } from './setup';
import type { RunStats } from './stats';

export const REFRESH_PATH = '/api/v1/auth/refresh-token';
const MAX_EXAMPLES = 20;
/** Extra wait past the grace window before a replay, so scheduling jitter never makes it "inside". */
export const REPLAY_MARGIN_MS = 300;
/** Pause after a 429 before the client tries again (the token stays current: nothing rotated). */
const RATE_LIMIT_BACKOFF_MS = 200;

/** What the clients saw that the audit judges. */
export interface Findings {
  /** Honest/race sessions refused although the client presented its newest token in time. */
  wronglyRevoked: number;
  /** Stolen tokens replayed after the grace window that still got a 200 (recoveries the rule allows excepted). */
  staleReplaysAccepted: number;
  /** Late retries of a lost response (lossy clients) and thieves' first replays of a predecessor, answered `recovered`. */
  recovered: { lossy: number; thief: number };
  /** Recoveries that handed out a token other than the one the server had issued (and the victim held): a server bug. */
  wrongRecoveries: number;
  attacks: { attempted: number; detected: number; victimRefused: number; victimStillWorks: number };
  race: { bursts: number; requests: number; divergent: number; late: number };
  /** Retries after a transport error or 5xx, and sessions whose retries arrived after the grace window. */
  retries: number;
  lateRetries: number;
  /** 429 answers (server rate limits; see the hint in the report). */
  rateLimited: number;
  /** Replays the server answered with 429 or a transport error: no verdict either way. */
  inconclusiveReplays: number;
  /** 200 responses that returned the very token presented, or no token: a server bug. */
  badSuccessBodies: number;
  /** A few concrete cases, for the report. */
  examples: string[];
}

/** Empty findings. */
export function newFindings(): Findings {
  return {
    wronglyRevoked: 0,
    staleReplaysAccepted: 0,
    recovered: { lossy: 0, thief: 0 },
    wrongRecoveries: 0,
    attacks: { attempted: 0, detected: 0, victimRefused: 0, victimStillWorks: 0 },
    race: { bursts: 0, requests: 0, divergent: 0, late: 0 },
    retries: 0,
    lateRetries: 0,
    rateLimited: 0,
    inconclusiveReplays: 0,
    badSuccessBodies: 0,
    examples: [],
  };
}

/** Shared state of the running clients. */
export interface ClientContext {
  client: JsonClient;
  stats: RunStats;
  findings: Findings;
  graceMs: number;
  /** performance.now() after which no new operation starts. */
  deadline: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Keeps a concrete case for the report (the first few only). */
export function example(ctx: Pick<ClientContext, 'findings'>, text: string): void {
  if (ctx.findings.examples.length < MAX_EXAMPLES) ctx.findings.examples.push(text);
}

/** A refusal that says something about the token (as opposed to overload or a transport failure). */
export const isRefusal = (r: HttpResult) => r.status >= 400 && r.status < 500 && r.status !== 429 && r.status !== 408;

/** One refresh request as a client saw it. */
export interface Attempt {
  r: HttpResult;
  token: string | undefined;
  /** performance.now() when the response arrived. */
  at: number;
}

/** One refresh request, recorded in the stats. */
export async function refreshOnce(
  ctx: Pick<ClientContext, 'client' | 'stats' | 'findings'>,
  presented: string,
): Promise<Attempt> {
  const r = await ctx.client.post(REFRESH_PATH, { refresh_token: presented });
  const body = r.body as { refresh_token?: unknown } | null;
  const token = r.status === 200 && typeof body?.refresh_token === 'string' ? body.refresh_token : undefined;
  if (r.status === 200 && (!token || token === presented)) {
    ctx.findings.badSuccessBodies += 1;
    example(ctx, `200 without a new refresh_token for a presented token (${JSON.stringify(body).slice(0, 120)})`);
  }
  ctx.stats.record(r.ms, r.status === 200 ? '200' : errorCode(r));
  return { r, token: token === presented ? undefined : token, at: performance.now() };
}

/** Takes a successor: counts a rotation when the token is new to this session. */
export function accept(ctx: Pick<ClientContext, 'stats'>, s: Session, token: string): void {
  if (token === s.token) return;
  s.token = token;
  s.justRecovered = false;
  s.rotations += 1;
  ctx.stats.rotations += 1;
}

/** Marks an honest or racing session refused in time: the violation the audit exists for. */
function wronglyRevoked(ctx: ClientContext, s: Session, what: string, r: HttpResult): void {
  s.state = 'wrongly_revoked';
  ctx.findings.wronglyRevoked += 1;
  example(ctx, `session #${s.index} (${s.kind}) ${what}: HTTP ${r.status} ${errorCode(r)}`);
}

/**
 * Presents the session's newest token; on a transport error or 5xx retries the same token, as a
 * real client would (inside the grace window that returns the same successor).
 */
async function honestStep(ctx: ClientContext, s: Session): Promise<void> {
  const presented = s.token;
  const firstSent = performance.now();
  for (let attempt = 0; attempt < 4; attempt++) {
    const a = await refreshOnce(ctx, presented);
    if (a.token) return accept(ctx, s, a.token);
    if (isRefusal(a.r)) {
      // A retry that only got through after the grace window is refused by design, not by mistake.
      if (attempt > 0 && a.at - firstSent > ctx.graceMs) {
        s.state = 'late';
        ctx.findings.lateRetries += 1;
        return;
      }
      return wronglyRevoked(ctx, s, 'presented its newest token', a.r);
    }
    if (a.r.status === 200) return; // bad body, already counted
    if (a.r.status === 429) {
      // Rate limited: the server refused before rotating, so the token stays current. Back off.
      ctx.findings.rateLimited += 1;
      await sleep(RATE_LIMIT_BACKOFF_MS);
      return;
    }
    ctx.findings.retries += 1;
    await sleep(25 * (attempt + 1));
  }
  // Four failures in a row: we cannot know whether the server rotated, so the exact match skips it.
  s.state = 'uncertain';
}

/** Lossy clients drop the answer of every DROP_EVERY-th refresh. */
const DROP_EVERY = 3;

/**
 * A refresh whose answer the client drops (the server answered; a connection, a tab or a proxy lost
 * it). The client still holds the token it sent and retries it after the grace window, which must
 * recover the successor the server issued. Every other time the recovery's answer is dropped too, and
 * retried again: the same token once more.
 */
async function lossyStep(ctx: ClientContext, s: Session, turn: number): Promise<void> {
  // Never two lost answers in a row retried after the window: that one case counts as theft by design.
  if (turn % DROP_EVERY !== 0 || s.justRecovered) return honestStep(ctx, s);
  const presented = s.token;
  const dropped = await refreshOnce(ctx, presented);
  if (!dropped.token) {
    if (isRefusal(dropped.r)) return wronglyRevoked(ctx, s, 'presented its newest token', dropped.r);
    if (dropped.r.status === 429) ctx.findings.rateLimited += 1;
    else if (dropped.r.status !== 200) s.state = 'uncertain'; // a real loss: the server may or may not have rotated
    return;
  }
  const retryAt = dropped.at + ctx.graceMs + REPLAY_MARGIN_MS;
  if (retryAt > ctx.deadline) return accept(ctx, s, dropped.token); // no time to retry late: keep the answer after all
  await sleep(retryAt - performance.now());
  let retry = await refreshOnce(ctx, presented);
  if (retry.token && turn % (2 * DROP_EVERY) === 0) {
    ctx.findings.recovered.lossy += 1; // a recovery whose answer is lost too, and retried
    retry = await refreshOnce(ctx, presented);
  }
  if (retry.token) {
    if (!sameCredential(retry.token, dropped.token)) {
      ctx.findings.wrongRecoveries += 1;
      example(ctx, `session #${s.index}: a late retry of a lost response got a different token than the lost one`);
    }
    ctx.findings.recovered.lossy += 1;
    s.recoveries += 1;
    accept(ctx, s, retry.token);
    s.justRecovered = true;
    return;
  }
  if (isRefusal(retry.r)) return wronglyRevoked(ctx, s, 'retried a lost response after the grace window', retry.r);
  // 429 or a transport error: the client keeps the token it sent; its next step retries it, late again.
  if (retry.r.status === 429) ctx.findings.rateLimited += 1;
  else if (retry.r.status !== 200) s.state = 'uncertain';
}

/** Sends the newest token 2–5 times at once; every success must carry the same successor. */
async function raceStep(ctx: ClientContext, s: Session, burst: number): Promise<void> {
  const presented = s.token;
  const t0 = performance.now();
  const attempts = await Promise.all(Array.from({ length: burst }, () => refreshOnce(ctx, presented)));
  ctx.findings.race.bursts += 1;
  ctx.findings.race.requests += burst;
  const successors = new Set(attempts.flatMap((a) => (a.token ? [a.token] : [])));
  if (successors.size > 1) {
    ctx.findings.race.divergent += 1;
    example(ctx, `session #${s.index}: a burst of ${burst} identical requests got ${successors.size} different successors`);
  }
  for (const a of attempts) {
    if (!isRefusal(a.r)) continue;
    // A duplicate executed more than the grace window after the rotation is refused by design; that
    // can only happen if it came back more than the window after the burst started.
    if (a.at - t0 > ctx.graceMs) {
      if (s.state === 'active') {
        s.state = 'late';
        ctx.findings.race.late += 1;
      }
    } else if (s.state !== 'wrongly_revoked') {
      wronglyRevoked(ctx, s, `raced its newest token ${burst}x`, a.r);
    }
  }
  const first = [...successors][0];
  if (first) accept(ctx, s, first);
  else if (s.state === 'active') await honestStep(ctx, s); // every copy failed in transit: retry as a client would
}

/** A thief's replay after the window; undefined when the server gave no verdict (429, transport error). */
async function replay(ctx: ClientContext, token: string): Promise<Attempt | undefined> {
  const a = await refreshOnce(ctx, token);
  if (a.r.status === 200 || isRefusal(a.r)) return a;
  // 429 or a transport failure: the server gave no verdict; this session may be attacked again later.
  ctx.findings.inconclusiveReplays += 1;
  if (a.r.status === 429) ctx.findings.rateLimited += 1;
  return undefined;
}

/**
 * One theft: rotate, keep the superseded token, wait past the grace window, replay it, then check the
 * victim is signed out. Odd variants: the victim keeps rotating, so the copy is older than the
 * predecessor and is refused at once. Even variants: the victim idles, so the copy is the predecessor
 * of a token never presented; it gets that very token (what the victim holds), the victim moves on,
 * and the thief's next replay after the window must be refused.
 */
async function attackStep(ctx: ClientContext, s: Session, variant: number): Promise<void> {
  await honestStep(ctx, s);
  if (s.state !== 'active') return;
  let stolen = s.token;
  const rotationsAtTheft = s.rotations;
  await honestStep(ctx, s); // the victim moves on; `stolen` is now the predecessor
  if (s.state !== 'active') return;
  const wait = ctx.graceMs + REPLAY_MARGIN_MS;
  const replayAt = performance.now() + wait;
  if (replayAt + (variant % 2 === 0 ? wait : 0) > ctx.deadline) return; // would not finish in time; leave the session unattacked
  while (variant % 2 === 1 && performance.now() + 50 < replayAt && s.state === 'active') {
    await honestStep(ctx, s); // victim stays active: the stolen copy becomes older than the predecessor
    await sleep(50);
  }
  if (s.state !== 'active') return;
  await sleep(Math.max(0, replayAt - performance.now()));
  let verdict = await replay(ctx, stolen);
  if (!verdict) return;
  // Judged by what happened, not by the variant: a victim refused a rotation (429) leaves the copy the predecessor.
  if (s.rotations === rotationsAtTheft + 1 && verdict.token) {
    // The predecessor of an unused token: recovered, and it must be exactly the token the victim holds.
    ctx.findings.recovered.thief += 1;
    if (!sameCredential(verdict.token, s.token)) {
      ctx.findings.wrongRecoveries += 1;
      example(ctx, `session #${s.index}: a thief's recovery got a token other than the victim's`);
      return;
    }
    stolen = verdict.token;
    const before = s.rotations;
    await honestStep(ctx, s); // the victim uses the shared token first; the thief is one step behind
    if (s.state !== 'active') return;
    if (s.rotations === before) return void (ctx.findings.inconclusiveReplays += 1); // the victim was refused a rotation (429)
    await sleep(wait);
    verdict = await replay(ctx, stolen);
    if (!verdict) return;
  }
  ctx.findings.attacks.attempted += 1;
  if (verdict.token) {
    ctx.findings.staleReplaysAccepted += 1;
    example(
      ctx,
      `session #${s.index}: stolen token replayed ${wait} ms after it was superseded got 200 (is --grace the server's REFRESH_GRACE_SECONDS?)`,
    );
    accept(ctx, s, verdict.token);
    return;
  }
  if (errorCode(verdict.r) === 'token_reused') ctx.findings.attacks.detected += 1;
  s.state = 'attacked';
  // Reuse revokes the whole family: the victim's newest token must stop working too.
  const victim = await refreshOnce(ctx, s.token);
  if (victim.token) {
    ctx.findings.attacks.victimStillWorks += 1;
    example(ctx, `session #${s.index}: after a detected replay the victim's newest token still rotated`);
    accept(ctx, s, victim.token);
  } else if (isRefusal(victim.r)) ctx.findings.attacks.victimRefused += 1;
}

/** Drives one client's sessions until the deadline. */
export async function clientLoop(ctx: ClientContext, kind: Session['kind'], sessions: Session[]): Promise<void> {
  let turn = 0;
  while (performance.now() < ctx.deadline) {
    const live = sessions.filter((s) => s.state === 'active');
    const s = live[turn % Math.max(1, live.length)];
    if (!s) return; // every session of this client is finished (attacked, late or broken)
    turn += 1;
    if (kind === 'race') await raceStep(ctx, s, 2 + (turn % 4));
    else if (kind === 'attacker') await attackStep(ctx, s, turn);
    else if (kind === 'lossy') await lossyStep(ctx, s, turn);
    else await honestStep(ctx, s);
  }
}

/**
 * Whether two refresh tokens are the same credential. An rt2 token re-issued after a key rotation (a replay or a
 * recovery answered by an instance with a newer key) carries the same family, expiry, position, secret and
 * anchors, and so the same stored hash, under the new key's id and tag: the same token to the store.
 */
export function sameCredential(a: string, b: string): boolean {
  if (a === b) return true;
  const [pa, pb] = [a.split('.'), b.split('.')];
  if (pa[0] !== 'rt2' || pb[0] !== 'rt2' || pa.length !== 8 || pb.length !== 8) return false;
  // rt2.<family>.<absExp>.<position>.<kid>.<secret>.<anchors>.<tag>: all but the key id and the tag.
  return [1, 2, 3, 5, 6].every((i) => pa[i] === pb[i]);
}
