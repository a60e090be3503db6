/**
 * @module The fault schedule: each fault acts on real processes (redis-server, the bridge, the fault proxies,
 * the API) and returns when the system has been put back, with the figures it measured itself.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { newSecret } from '../../../lib/config/secrets';
import { familyKey } from '../../../lib/redis/keys';
import { FAMILY_FIELDS, FAMILY_STATE } from '../../../lib/tokens/family';
import type { Expectation, FaultWindow } from './accounting';
import type { ChaosSession, RollbackState } from './clients';
import { RING_SECRETS, type ChaosStack } from './environment';
import { redisCommand, waitFor } from './stack';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const run = promisify(execFile);

/** What the build can do, detected at start; decides which faults are expected to fail. */
export interface Capabilities {
  /** Refresh tokens carry their chain position (rt2), so a token ahead of a rolled-back store resumes its chain. */
  aheadRule: boolean;
  /** Each secret is read as a comma-separated key ring, newest first. */
  keyRing: Record<(typeof RING_SECRETS)[number], boolean>;
}

/** How long each fault lasts. */
export interface FaultTimings {
  /** Between breaking replication (or the AOF's last fsync) and the kill: the writes that will be lost. */
  lossWindowMs: number;
  stallMs: number;
  resetMs: number;
  databaseDownMs: number;
}

/** What a fault works on. */
export interface FaultContext {
  stack: ChaosStack;
  rollback: RollbackState;
  /** Every session so far (clients add more as they sign in again). */
  sessions: ChaosSession[];
  timings: FaultTimings;
  capabilities: Capabilities;
  log(line: string): void;
  /** Sends one access token to a bearer-protected route: its HTTP status. */
  probeAccessToken(token: string): Promise<number>;
  /** Signs a probe user in: its access token, or null. */
  probeSignIn(): Promise<string | null>;
  /** Signs a probe user in: its refresh token, or null. */
  probeSession(): Promise<string | null>;
  /** Refreshes `token`, retrying through 503s and lost connections: the final HTTP status and error code. */
  probeRefresh(token: string): Promise<string>;
  /** An OAuth sign-in as NextAuth sends it, its caller proof signed with `secret`: the HTTP status. */
  probeOAuth(secret: string): Promise<number>;
  /** Records a violation found by a fault's own probe. */
  violation(at: number, kind: 'access_token_refused' | 'oauth_caller_refused', detail: string): void;
}

/** One fault of the schedule. */
export interface Fault {
  id: string;
  title: string;
  expectation(c: Capabilities): { expectation: Expectation; pending?: string };
  refreshesMustSucceed?: boolean;
  /** Injects the fault and puts things back; resolves with its window. */
  play(fc: FaultContext): Promise<Omit<FaultWindow, 'id' | 'title' | 'expectation' | 'pending' | 'refreshesMustSucceed'>>;
}

const AHEAD_PENDING =
  'the "ahead of the store" rule (branch failover: rt2 tokens carry their chain position) is not in this build, so a token the store lost is taken for reuse';

const needsAheadRule = (c: Capabilities) =>
  c.aheadRule ? { expectation: 'strict' as const } : { expectation: 'expected_failure' as const, pending: AHEAD_PENDING };

/** How far ahead of the store a token may be and still resume its chain (rt2 anchors, branch failover). */
const AHEAD_REACH = 3;

/** Rotations each session was acknowledged since `before` (the writes a rollback loses). */
function acknowledgedSince(before: Map<ChaosSession, number>) {
  let total = 0;
  let max = 0;
  let sessionsAffected = 0;
  let beyondReach = 0;
  for (const [s, rotations] of before) {
    const n = s.rotations - rotations;
    if (n <= 0) continue;
    total += n;
    max = Math.max(max, n);
    sessionsAffected += 1;
    if (n > AHEAD_REACH) beyondReach += 1;
  }
  return { total, max, sessionsAffected, beyondReach };
}

/** Opens a rollback: thefts straddling it are dropped, and sessions wait for a success to count as matched again. */
function openRollback(fc: FaultContext): Map<ChaosSession, number> {
  fc.rollback.epoch += 1;
  fc.rollback.open = true;
  const before = new Map<ChaosSession, number>();
  for (const s of fc.sessions)
    if (s.state === 'active') {
      before.set(s, s.rotations);
      s.rollbackPending = true;
    }
  return before;
}

/**
 * Waits out the loss window while one probe user signs in: that session's family is written only to the store
 * that is about to lose its last writes. Resolves with its refresh token (null if no sign-in completed in time).
 */
async function signInDuringLoss(fc: FaultContext): Promise<string | null> {
  const until = performance.now() + fc.timings.lossWindowMs;
  const token = await fc.probeSession();
  await sleep(until - performance.now());
  return token;
}

/** What became of the session born in the loss window, once the store is back: a known gap, reported, not judged. */
async function bornVerdict(fc: FaultContext, token: string | null): Promise<string> {
  if (!token) return 'no sign-in completed in the window';
  const answer = await fc.probeRefresh(token);
  return answer === '200' ? 'kept' : `signed out (${answer}): its family was lost with the writes`;
}

/** Polls the bridge (directly, not through the proxy) until it runs a command on Redis. */
async function bridgeServes(stack: ChaosStack): Promise<void> {
  await waitFor(
    'bridge serving commands',
    async () => {
      const r = await fetch(`http://127.0.0.1:${stack.bridgePort}/`, {
        method: 'POST',
        headers: { authorization: `Bearer ${stack.restToken}`, 'content-type': 'application/json' },
        body: JSON.stringify(['PING']),
        signal: AbortSignal.timeout(1000),
      });
      return r.status === 200;
    },
    30,
  );
}

/** 1. The primary dies after its replica lost the link: the replica, promoted, misses the last writes. */
export const failover: Fault = {
  id: 'failover',
  title: 'Redis failover to a replica that missed the last writes',
  expectation: needsAheadRule,
  async play(fc) {
    const { stack } = fc;
    const startAt = performance.now();
    const oldPrimary = stack.primary;
    const promoted = stack.replica;
    // kill -STOP would not cut replication (the socket buffer still takes the bytes): end it for real first.
    await redisCommand(promoted.port, 'REPLICAOF', 'NO', 'ONE');
    const before = openRollback(fc);
    const born = await signInDuringLoss(fc);
    await oldPrimary.crash();
    const lost = acknowledgedSince(before);
    fc.log(`  primary :${oldPrimary.port} killed; ${lost.total} rotations acknowledged after the replica's last write`);
    // The bridge is pointed at the promoted replica, as a managed failover re-points its endpoint.
    await stack.bridge.stop();
    stack.bridgeEnv.REDIS_URL = `redis://127.0.0.1:${promoted.port}`;
    await stack.bridge.start(stack.bridgeEnv);
    await bridgeServes(stack);
    fc.rollback.storeUpAt = performance.now();
    fc.rollback.open = false;
    const endAt = performance.now();
    stack.primary = promoted;
    stack.replica = oldPrimary;
    // Recovery: the old primary comes back from its AOF as a replica of the new one (a full resync).
    await oldPrimary.start(promoted.port);
    return {
      startAt,
      endAt,
      details: {
        ...(await lossDetails(fc, lost, born)),
        lossWindowMs: fc.timings.lossWindowMs,
      },
    };
  },
};

/** What a fault that lost writes reports: the rotations and sessions it set back, and the session born in it. */
async function lossDetails(
  fc: FaultContext,
  lost: ReturnType<typeof acknowledgedSince>,
  born: Awaited<ReturnType<typeof signInDuringLoss>>,
): Promise<Record<string, unknown>> {
  return {
    lostRotations: lost.total,
    sessionsBehind: lost.sessionsAffected,
    maxBehindPerSession: lost.max,
    // Further behind than the rule reaches, such a session ends even with it (too_far_ahead, without blame).
    sessionsBeyondAheadReach: lost.beyondReach,
    'session signed in during the loss window': await bornVerdict(fc, born),
  };
}

/** 2. kill -9 and restart the primary from its AOF, its unsynced tail gone (what a power loss takes). */
export const aofRestart: Fault = {
  id: 'aof-restart',
  title: 'Redis restart from its AOF (everysec), last writes lost',
  expectation: needsAheadRule,
  async play(fc) {
    const { stack } = fc;
    const node = stack.primary;
    const startAt = performance.now();
    // Everything up to here counts as fsynced; what follows is the tail a power loss takes with everysec.
    const synced = node.aofSize();
    const before = openRollback(fc);
    const born = await signInDuringLoss(fc);
    await node.crash();
    const lost = acknowledgedSince(before);
    // A process kill alone loses nothing (Redis wrote before it answered; the page cache keeps it), so the
    // unsynced tail is cut as a power loss would, possibly mid-command (aof-load-truncated).
    const cutBytes = node.truncateAof(synced);
    await node.start();
    await bridgeServes(stack); // the bridge reconnects by itself
    fc.rollback.storeUpAt = performance.now();
    fc.rollback.open = false;
    fc.log(`  primary :${node.port} restarted from its AOF; ${cutBytes} bytes cut, ${lost.total} rotations lost`);
    return {
      startAt,
      endAt: performance.now(),
      details: {
        ...(await lossDetails(fc, lost, born)),
        aofBytesCut: cutBytes,
        lossWindowMs: fc.timings.lossWindowMs,
      },
    };
  },
};

/** 3. The REST endpoint stops answering (bytes held both ways), then recovers. */
export const stall: Fault = {
  id: 'rest-stall',
  title: 'the Redis REST endpoint stalls',
  expectation: () => ({ expectation: 'strict' }),
  async play(fc) {
    const startAt = performance.now();
    await fc.stack.restProxy.setMode('stall');
    await sleep(fc.timings.stallMs);
    await fc.stack.restProxy.setMode('pass');
    return { startAt, endAt: performance.now(), details: { stallMs: fc.timings.stallMs } };
  },
};

/** 4. Every connection to the REST endpoint is reset as its answer starts: responses lost mid-way. */
export const reset: Fault = {
  id: 'rest-reset',
  title: 'connections to the REST endpoint reset mid-response',
  expectation: () => ({ expectation: 'strict' }),
  async play(fc) {
    const before = await fc.stack.restProxy.resets();
    const startAt = performance.now();
    await fc.stack.restProxy.setMode('reset');
    await sleep(fc.timings.resetMs);
    await fc.stack.restProxy.setMode('pass');
    const endAt = performance.now();
    return {
      startAt,
      endAt,
      details: { resetMs: fc.timings.resetMs, connectionsReset: (await fc.stack.restProxy.resets()) - before },
    };
  },
};

/** 5. PostgreSQL refuses connections: sign-ins fail with 503, refreshes never notice. */
export const databaseDown: Fault = {
  id: 'postgres-down',
  title: 'PostgreSQL unreachable',
  expectation: () => ({ expectation: 'strict' }),
  refreshesMustSucceed: true,
  async play(fc) {
    const startAt = performance.now();
    await fc.stack.pgProxy.setMode('refuse');
    await sleep(fc.timings.databaseDownMs);
    await fc.stack.pgProxy.setMode('pass');
    return { startAt, endAt: performance.now(), details: { databaseDownMs: fc.timings.databaseDownMs } };
  },
};

/** The new ACCESS_TOKEN_SIGNING_KEYS from the operator's own command (`npm run keys -- --rotate`). */
async function rotatedSigningKeys(current: string): Promise<string> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', 'scripts/generate-keys.ts', '--rotate'], {
    env: { ...process.env, ACCESS_TOKEN_SIGNING_KEYS: current },
  });
  const line = stdout.split('\n').find((l) => l.startsWith('ACCESS_TOKEN_SIGNING_KEYS='));
  const value = line?.slice('ACCESS_TOKEN_SIGNING_KEYS='.length).replace(/^'|'$/g, '');
  if (!value) throw new Error('npm run keys -- --rotate printed no ACCESS_TOKEN_SIGNING_KEYS');
  return value;
}

/** Restarts the API with `env` (SIGTERM, then start): the downtime is part of the fault. */
async function restartApi(stack: ChaosStack, env: NodeJS.ProcessEnv): Promise<void> {
  await stack.api.stop();
  stack.apiEnv = env;
  await stack.api.start(env);
}

/** 6. Every secret rotated mid-run: new value prepended (key ring, newest first), the API restarted. */
export const secretRotation: Fault = {
  id: 'secret-rotation',
  title: 'every secret rotated (new value first, old kept), API restarted',
  expectation: (c) => {
    // AUTH_SECRET is NextAuth's alone (its cookies): this API-only run cannot exercise it, only report it.
    const missing = (['REFRESH_TOKEN_SECRET', 'OAUTH_CALLER_SECRET'] as const).filter((n) => !c.keyRing[n]);
    return missing.length === 0
      ? { expectation: 'strict' }
      : {
          expectation: 'expected_failure',
          pending: `${missing.join(' and ')} read as one secret in this build (key rings: branches failover, secrets), so "new,old" verifies nothing the old value signed`,
        };
  },
  async play(fc) {
    const { stack } = fc;
    // An access token issued before the rotation must keep working after it (the old key stays in the ring).
    const accessToken = await fc.probeSignIn();
    // A NextAuth server not yet redeployed still signs its calls with the old caller secret (the first of the list).
    const oldCallerSecret = (stack.apiEnv.OAUTH_CALLER_SECRET ?? '').split(',')[0] ?? '';
    const startAt = performance.now();
    const env: NodeJS.ProcessEnv = { ...stack.apiEnv };
    for (const name of RING_SECRETS) env[name] = `${newSecret()},${stack.apiEnv[name] ?? ''}`;
    env.ACCESS_TOKEN_SIGNING_KEYS = await rotatedSigningKeys(stack.apiEnv.ACCESS_TOKEN_SIGNING_KEYS ?? '[]');
    await restartApi(stack, env);
    const endAt = performance.now();
    let accessTokenAfter: number | string = 'no probe (sign-in failed)';
    if (accessToken) {
      accessTokenAfter = await fc.probeAccessToken(accessToken);
      if (accessTokenAfter !== 200)
        fc.violation(
          performance.now(),
          'access_token_refused',
          `an access token issued before the key rotation got HTTP ${accessTokenAfter}`,
        );
    }
    const oauthOld = await fc.probeOAuth(oldCallerSecret);
    const oauthNew = await fc.probeOAuth((env.OAUTH_CALLER_SECRET ?? '').split(',')[0] ?? '');
    for (const [which, status] of [
      ['old', oauthOld],
      ['new', oauthNew],
    ] as const)
      if (status !== 200)
        fc.violation(
          performance.now(),
          'oauth_caller_refused',
          `an OAuth sign-in signed with the ${which} caller secret got HTTP ${status}`,
        );
    return {
      startAt,
      endAt,
      details: {
        ...Object.fromEntries(RING_SECRETS.map((n) => [`${n}`, fc.capabilities.keyRing[n] ? 'a ring' : 'one secret'])),
        'old access token after restart': accessTokenAfter === 200 ? 'accepted' : String(accessTokenAfter),
        'OAuth sign-in signed with old / new caller secret': `${oauthOld} / ${oauthNew}`,
      },
    };
  },
};

/**
 * Self-check: a few honest sessions revoked in Redis behind their clients' backs, as a server bug would. Their
 * clients are then told their session ended, and the run passes only if the audit reports every one.
 */
export const sabotage: Fault = {
  id: 'self-check',
  title: "SELF-CHECK: honest sessions revoked behind their clients' backs (the audit must catch each)",
  expectation: () => ({ expectation: 'must_fail', pending: 'a deliberate wrong logout: the audit must report it' }),
  async play(fc) {
    const startAt = performance.now();
    // Sessions with nothing pending, so no rule could excuse their refusal.
    const victims = fc.sessions
      .filter((s) => s.state === 'active' && s.kind === 'honest' && s.pendingSince === undefined && !s.maybeRecovered)
      .slice(0, 5);
    for (const s of victims)
      await redisCommand(fc.stack.primary.port, 'HSET', familyKey(s.id), FAMILY_FIELDS.state, FAMILY_STATE.revoked);
    return { startAt, endAt: performance.now(), mustCatch: victims.length, details: { revokedBehindTheirBacks: victims.length } };
  },
};

/** Every fault, in the order the issue lists them. */
export const ALL_FAULTS: Fault[] = [failover, aofRestart, stall, reset, databaseDown, secretRotation];
