/**
 * @module A user's sessions (one token family per signed-in device): list them, check one is still
 * active, revoke one, all others, or all. Reads the per-user index kept by the rotation engine.
 */
import { AuthError } from '../auth/errors';
import type { Redis } from '../redis/client';
import { familyKey, userEventsKey, userSessionsKey } from '../redis/keys';
import { FAMILY_FIELDS as F, FAMILY_STATE } from './family';
import type { RotationEngine } from './rotation';

/** One signed-in device as the user sees it. */
export interface SessionInfo {
  id: string;
  provider: string;
  createdAt: number;
  lastUsedAt: number;
  expiresAt: number;
  userAgent: string | null;
  ip: string | null;
}

const FIELDS = [F.state, F.userId, F.provider, F.created, F.lastUsed, F.absoluteExpiresAt, F.userAgent, F.ip] as const;

/** Session listing and revocation over the engine's Redis layout. */
export class SessionDirectory {
  constructor(
    private readonly redis: Redis,
    private readonly rotation: RotationEngine,
    private readonly idleSeconds: number,
  ) {}

  /** The user's active sessions, most recently used first. Prunes index entries whose family is gone. */
  async list(userId: string): Promise<SessionInfo[]> {
    const index = userSessionsKey(userId);
    const ids = await this.redis.zrange<string[]>(index, 0, -1);
    if (ids.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.hmget(familyKey(id), ...FIELDS);
    // The client runs without automatic deserialization, so HMGET replies are plain arrays in FIELDS order.
    const rows = ((await pipeline.exec()) as Array<Array<string | null>>).map(
      (values) =>
        Object.fromEntries(FIELDS.map((field, i) => [field, values[i] ?? null])) as Record<
          (typeof FIELDS)[number],
          string | null
        >,
    );
    const sessions: SessionInfo[] = [];
    const gone: string[] = [];
    ids.forEach((id, i) => {
      const row = rows[i];
      if (row?.[F.state] !== FAMILY_STATE.active || row[F.userId] !== userId) {
        gone.push(id);
        return;
      }
      sessions.push({
        id,
        provider: row[F.provider] ?? '',
        createdAt: Number(row[F.created]),
        lastUsedAt: Number(row[F.lastUsed]),
        expiresAt: Math.min(Number(row[F.absoluteExpiresAt]), Number(row[F.lastUsed]) + this.idleSeconds * 1000),
        userAgent: row[F.userAgent] || null,
        ip: row[F.ip] || null,
      });
    });
    if (gone.length > 0) await this.redis.zrem(index, ...gone);
    return sessions.sort((a, b) => b.lastUsedAt - a.lastUsedAt);
  }

  /**
   * The access-token revocation check (one HGET), for the session of an access token the caller has
   * verified: false only when the family's tombstone says revoked. "Not found" is not revoked: a read
   * replica that lags (Upstash Global serves reads from the nearest one) has not seen a family created a
   * moment ago, and would send a person who just signed in back to sign-in. Every revocation leaves a
   * tombstone that outlives the access tokens it concerns (RotationSettings.tombstoneSeconds), so a
   * replica that has the revocation says so.
   */
  async isActive(familyId: string): Promise<boolean> {
    return (await this.redis.hget<string>(familyKey(familyId), F.state)) !== FAMILY_STATE.revoked;
  }

  /**
   * Revokes another of the caller's sessions; false when it is not theirs or already gone. The caller's own
   * session is refused (`current_session`): signing out is its own operation, which also ends the client's state.
   */
  async revoke(caller: { userId: string; sessionId: string }, familyId: string): Promise<boolean> {
    if (familyId === caller.sessionId)
      throw new AuthError('current_session', 'This is the session you are using: sign out instead.');
    if ((await this.redis.hget<string>(familyKey(familyId), F.userId)) !== caller.userId) return false;
    await this.rotation.revokeFamily(familyId, 'revoked_by_user');
    return true;
  }

  /**
   * Forgets a user: replaces every session (with its device details) by a bare tombstone that lives as long
   * as an access token, deletes the session index and the security events.
   */
  async removeUser(userId: string): Promise<void> {
    const index = userSessionsKey(userId);
    const ids = await this.redis.zrange<string[]>(index, 0, -1);
    const pipeline = this.redis.pipeline();
    // "Not found" counts as active (isActive), so a deleted account's access tokens need a tombstone to
    // be refused; it names no user and no device.
    const tombstoneMs = Math.max(1, this.rotation.tombstoneSeconds) * 1000;
    const now = Date.now();
    for (const id of ids) {
      const key = familyKey(id);
      pipeline
        .del(key)
        .hset(key, { [F.state]: FAMILY_STATE.revoked, [F.reason]: 'account_deleted', [F.revokedAt]: now })
        .pexpire(key, tombstoneMs);
    }
    pipeline.del(index, userEventsKey(userId));
    await pipeline.exec();
    if (ids.length > 0) await this.rotation.waitForReplicas();
  }

  /** Revokes all the user's sessions, or all but `keep`. Returns how many were revoked. */
  async revokeAll(userId: string, keep?: string): Promise<number> {
    const ids = (await this.redis.zrange<string[]>(userSessionsKey(userId), 0, -1)).filter((id) => id !== keep);
    await this.rotation.revokeFamilies(ids, keep ? 'revoked_others' : 'revoked_all');
    return ids.length;
  }
}
