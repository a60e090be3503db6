/**
 * @module The correctness audit: what the clients saw, checked against the families in Redis
 * (`st`, `rot` and `recN` of every family the test created, read in pipelined batches).
 */
import { Redis as UpstashRedis } from '@upstash/redis';
import { Redis as IORedis } from 'ioredis';
import { familyKey } from '../../lib/redis/keys';
import { FAMILY_FIELDS, FAMILY_STATE } from '../../lib/tokens/family';
import type { Findings } from './clients';
import type { Session } from './setup';

/** A family as stored: status, rotation and recovery counts (null when the key is gone). */
export interface FamilyRecord {
  st: string | null;
  rot: number | null;
  recN: number | null;
}

/** Where the audit reads Redis from. */
export type RedisTarget = { kind: 'ioredis'; url: string } | { kind: 'rest'; url: string; token: string };

const BATCH = 1000;

/** Reads `st`, `rot` and `recN` of each family, in pipelined batches of HMGET. */
export async function readFamilies(target: RedisTarget, ids: string[]): Promise<FamilyRecord[]> {
  const out: FamilyRecord[] = [];
  const toRecord = (st: unknown, rot: unknown, recN: unknown): FamilyRecord => ({
    st: st == null ? null : String(st),
    rot: rot == null ? null : Number(rot),
    recN: recN == null ? null : Number(recN),
  });
  if (target.kind === 'ioredis') {
    const redis = new IORedis(target.url, { lazyConnect: true, maxRetriesPerRequest: 2, enableOfflineQueue: true });
    try {
      await redis.connect();
      for (let i = 0; i < ids.length; i += BATCH) {
        const p = redis.pipeline();
        for (const id of ids.slice(i, i + BATCH))
          p.hmget(familyKey(id), FAMILY_FIELDS.state, FAMILY_FIELDS.rotations, FAMILY_FIELDS.recoveries);
        for (const [error, value] of (await p.exec()) ?? []) {
          if (error) throw error;
          const [st, rot, recN] = value as [string | null, string | null, string | null];
          out.push(toRecord(st, rot, recN));
        }
      }
    } finally {
      redis.disconnect();
    }
    return out;
  }
  const redis = new UpstashRedis({
    url: target.url,
    token: target.token,
    automaticDeserialization: false,
    enableAutoPipelining: false,
  });
  for (let i = 0; i < ids.length; i += BATCH) {
    const p = redis.pipeline();
    for (const id of ids.slice(i, i + BATCH))
      p.hmget(familyKey(id), FAMILY_FIELDS.state, FAMILY_FIELDS.rotations, FAMILY_FIELDS.recoveries);
    // Without automatic deserialization, @upstash/redis answers HMGET as Redis does: the values in the
    // order asked, null where a field (or the key) is missing.
    for (const [st, rot, recN] of await p.exec<(string | null)[][]>()) out.push(toRecord(st, rot, recN));
  }
  return out;
}

/** The audit verdict. Every number under `violations` must be 0. */
export interface Audit {
  violations: {
    honestWronglyRevoked: number;
    staleReplaysAcceptedAfterGrace: number;
    attackedFamiliesNotRevoked: number;
    recoveriesWithAnotherToken: number;
    raceDivergentSuccessors: number;
    badSuccessBodies: number;
    rotationMismatchSessions: number;
  };
  rotations: {
    /** 200 responses that handed out a new token. */
    observed: number;
    /** Sum of `rot` over the test's families in Redis (null when Redis was not audited). */
    redis: number | null;
    /** Same two sums over the sessions whose every outcome is known (excludes `uncertain`). */
    observedCertain: number;
    redisCertain: number | null;
    match: boolean | null;
  };
  attacks: Findings['attacks'] & { familiesRevokedInRedis: number | null };
  /**
   * Lost responses retried after the grace window and answered `recovered`: seen by lossy clients and
   * thieves' first replays, and `recN` summed in Redis (revoked families keep theirs; null when not read).
   * Informational: a retry whose answer was lost in transit is counted by Redis only.
   */
  recovered: { lossy: number; thief: number; redis: number | null };
  excused: { lateRaces: number; lateRetries: number; uncertainSessions: number };
  sessions: Record<Session['state'], number>;
  redisAudited: boolean;
  ok: boolean;
  examples: string[];
}

/** Judges the run from the sessions, the client findings and (if read) the Redis families. */
export function buildAudit(sessions: Session[], findings: Findings, families: FamilyRecord[] | null): Audit {
  const examples = [...findings.examples];
  const byState: Record<Session['state'], number> = { active: 0, attacked: 0, late: 0, uncertain: 0, wrongly_revoked: 0 };
  for (const s of sessions) byState[s.state] += 1;

  let revokedBehindTheirBack = 0;
  let attackedNotRevoked = 0;
  let attackedRevoked = 0;
  let mismatches = 0;
  let redisSum = 0;
  let redisRecoveries = 0;
  let redisCertain = 0;
  let observedCertain = 0;
  sessions.forEach((s, i) => {
    if (s.state !== 'uncertain') observedCertain += s.rotations;
    const f = families?.[i];
    if (!f) return;
    redisSum += f.rot ?? 0;
    redisRecoveries += f.recN ?? 0;
    if (s.state !== 'uncertain') redisCertain += f.rot ?? 0;
    // A session whose client never saw a refusal must still be active in Redis.
    if (s.state === 'active' && f.st !== FAMILY_STATE.active) {
      revokedBehindTheirBack += 1;
      if (examples.length < 20)
        examples.push(`session #${s.index} (${s.kind}) is "${f.st ?? 'missing'}" in Redis but its client was never refused`);
    }
    if (s.state === 'attacked') {
      if (f.st === FAMILY_STATE.revoked) attackedRevoked += 1;
      else attackedNotRevoked += 1;
    }
    if (s.state !== 'uncertain' && (f.rot ?? 0) !== s.rotations) {
      mismatches += 1;
      if (examples.length < 20)
        examples.push(`session #${s.index} (${s.kind}): Redis rot=${f.rot} but the client saw ${s.rotations} rotations`);
    }
  });

  const violations = {
    honestWronglyRevoked: findings.wronglyRevoked + revokedBehindTheirBack,
    staleReplaysAcceptedAfterGrace: findings.staleReplaysAccepted,
    attackedFamiliesNotRevoked: attackedNotRevoked + findings.attacks.victimStillWorks,
    recoveriesWithAnotherToken: findings.wrongRecoveries,
    raceDivergentSuccessors: findings.race.divergent,
    badSuccessBodies: findings.badSuccessBodies,
    rotationMismatchSessions: mismatches,
  };
  const observed = sessions.reduce((n, s) => n + s.rotations, 0);
  return {
    violations,
    rotations: {
      observed,
      redis: families ? redisSum : null,
      observedCertain,
      redisCertain: families ? redisCertain : null,
      match: families ? redisCertain === observedCertain : null,
    },
    attacks: { ...findings.attacks, familiesRevokedInRedis: families ? attackedRevoked : null },
    recovered: { ...findings.recovered, redis: families ? redisRecoveries : null },
    excused: { lateRaces: findings.race.late, lateRetries: findings.lateRetries, uncertainSessions: byState.uncertain },
    sessions: byState,
    redisAudited: families !== null,
    ok: Object.values(violations).every((n) => n === 0),
    examples,
  };
}
