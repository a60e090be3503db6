/**
 * @module The rotation engine: token families in Redis (rules: docs/security.md).
 * Sign-in starts a family; every refresh is one EVALSHA that atomically rotates, replays the same
 * successor inside the grace window, recovers a lost response (the predecessor of a never-used
 * current token gets it back), or detects reuse and revokes the family. The database is never
 * touched here.
 */
import type { Redis } from '../redis/client';
import { familyKey, userEventsKey, userSessionsKey } from '../redis/keys';
import { ScriptBatcher } from '../redis/script-batcher';
import { AuthError } from '../auth/errors';
import { logEvent } from '../observability/log';
import { RefreshTokenCodec, type RefreshToken } from './refresh-token';
import { decodeRotateReply, FAMILY_FIELDS as F, FAMILY_STATE } from './family';
import { REVOKE_SCRIPT, ROTATE_SCRIPT } from './rotation.lua';
import { recordRateLimited, recordRefreshOutcome, recordSecurityEvent } from '../observability/telemetry';
import { decodeAssurance, encodeAssurance, firstFactor, type Assurance } from './assurance';

/** Lifetimes of a family, in seconds. */
export interface RotationSettings {
  graceSeconds: number;
  idleSeconds: number;
  absoluteSeconds: number;
  /** Refreshes allowed per session per window (enforced inside the rotation script). */
  refreshLimit?: { tokens: number; windowSeconds: number };
  /**
   * The least time a revoked family's tombstone lives: the longest an access token lives, so that every
   * access-token check of a revoked session finds "revoked", never "not found" (which a lagging replica
   * also answers, and which therefore counts as active). Default 0.
   */
  tombstoneSeconds?: number;
  /**
   * After a security-relevant write (sign-out, revocation, reuse detection), wait for this many replicas
   * to acknowledge it (Redis WAIT), at most `timeoutMs`, so that a failover right after it cannot undo it.
   * Never after a rotation. Off (0 replicas) by default.
   */
  replicaWait?: { replicas: number; timeoutMs: number };
}

/** Who is signing in, and from where. */
export interface FamilyOwner {
  userId: string;
  provider: string;
  userAgent?: string | undefined;
  ip?: string | undefined;
  /** How the session was authenticated; one factor of `provider` when left out. */
  assurance?: Assurance | undefined;
}

/** A refresh token handed to a client, with the identity it stands for. */
export interface IssuedRefresh {
  familyId: string;
  userId: string;
  provider: string;
  refreshToken: string;
  /** When this token stops working unless used (min of idle and absolute expiry), epoch ms. */
  refreshExpiresAt: number;
  /**
   * `rotated` for a fresh successor, `replayed` for the same successor again inside the grace window,
   * `recovered` for the same successor after the window because it was never used (a lost response),
   * `resumed` for a token ahead of the store (rotations the store lost in a failover or restart).
   */
  outcome: 'started' | 'rotated' | 'replayed' | 'recovered' | 'resumed';
  /** Recoveries of this family so far (only for `recovered`). */
  recoveries?: number;
  /** Resumptions of this family so far (only for `resumed`). */
  resumes?: number;
  /** The session's assurance, as the family keeps it (carried into every access token). */
  assurance: Assurance;
}

/** Where a reuse was seen from, for the security event. */
export interface RequestContext {
  userAgent?: string | undefined;
  ip?: string | undefined;
}

const MAX_EVENTS = 50;
const EVENTS_TTL_SECONDS = 90 * 24 * 3600;
const MAX_FIELD = 256;

/** Creates, rotates and revokes token families. */
export class RotationEngine {
  private readonly rotateScript;
  private readonly revokeScript;
  private readonly refreshLimit: { tokens: number; windowSeconds: number };
  /** The rotate script's arguments after the two hashes: the same for every call. */
  private readonly rotateSettings: string[];

  constructor(
    private readonly redis: Redis,
    private readonly codec: RefreshTokenCodec,
    private readonly settings: RotationSettings,
  ) {
    // The hot path: concurrent rotations share one HTTP round trip, each still one atomic EVALSHA.
    this.rotateScript = new ScriptBatcher<unknown[]>(redis, ROTATE_SCRIPT);
    this.revokeScript = new ScriptBatcher<unknown[]>(redis, REVOKE_SCRIPT);
    // Without a configured limit (engine tests), effectively unlimited.
    this.refreshLimit = settings.refreshLimit ?? { tokens: 1_000_000_000, windowSeconds: 60 };
    this.rotateSettings = [
      String(settings.graceSeconds * 1000),
      String(settings.idleSeconds * 1000),
      String(this.refreshLimit.tokens),
      String(this.refreshLimit.windowSeconds * 1000),
      String((settings.tombstoneSeconds ?? 0) * 1000),
    ];
  }

  /** Starts a new family (one signed-in device) and returns its first refresh token. */
  async start(owner: FamilyOwner): Promise<IssuedRefresh> {
    const now = Date.now();
    const familyId = this.codec.newFamilyId();
    const token = this.codec.mint(familyId, now + this.settings.absoluteSeconds * 1000);
    const absExp = token.absoluteExpiresAt;
    const expires = Math.min(absExp, now + this.settings.idleSeconds * 1000);
    const key = familyKey(familyId);
    const index = userSessionsKey(owner.userId);
    const assurance = owner.assurance ?? firstFactor(owner.provider);
    await this.redis
      .pipeline()
      .hset(key, {
        [F.state]: FAMILY_STATE.active,
        [F.userId]: owner.userId,
        [F.provider]: owner.provider,
        [F.current]: this.codec.hash(token),
        [F.created]: now,
        [F.lastUsed]: now,
        [F.absoluteExpiresAt]: absExp,
        [F.rotations]: 0,
        [F.userAgent]: (owner.userAgent ?? '').slice(0, MAX_FIELD),
        [F.ip]: (owner.ip ?? '').slice(0, MAX_FIELD),
        [F.assurance]: encodeAssurance(assurance),
      })
      .pexpireat(key, expires)
      .zadd(index, { score: absExp, member: familyId })
      .zremrangebyscore(index, '-inf', now)
      // The newest family is the last to expire, so the index lives exactly as long as it.
      .pexpireat(index, absExp)
      .exec();
    // A session signed in just before a failover must not vanish with it: no ahead rule can restore a family
    // the replica never got. Sign-ins are rare next to refreshes, which never wait.
    await this.waitForReplicas();
    return {
      familyId,
      userId: owner.userId,
      provider: owner.provider,
      refreshToken: token.raw,
      refreshExpiresAt: expires,
      outcome: 'started',
      assurance,
    };
  }

  /** Rotates a refresh token (the hot path: one Redis round trip). Throws AuthError on any refusal. */
  async rotate(raw: unknown, context: RequestContext = {}): Promise<IssuedRefresh> {
    const token = this.codec.parse(raw);
    if (!token) {
      recordRefreshOutcome('invalid');
      throw new AuthError('invalid_token', 'Refresh token is malformed or was not issued by this server.');
    }
    if (token.absoluteExpiresAt <= Date.now()) {
      recordRefreshOutcome('expired');
      throw new AuthError('token_expired', 'Refresh token has expired.');
    }
    const presentedHash = this.codec.hash(token);
    const successor = this.codec.next(token, presentedHash);
    const reply = await this.rotateScript.exec(
      [familyKey(token.familyId)],
      [
        presentedHash,
        successor.hash,
        ...this.rotateSettings,
        token.position?.toString() ?? '',
        token.anchors,
        successor.legacyHash ?? '',
      ],
    );
    const outcome = decodeRotateReply(reply);
    // The script's own word for what happened, so an outcome a newer script adds is counted without code here.
    recordRefreshOutcome(outcome.status);
    switch (outcome.status) {
      case 'rate_limited': {
        recordRateLimited('refreshPerSession');
        const retryAfterSeconds = Math.max(1, Math.ceil(outcome.retryAfterMs / 1000));
        throw new AuthError('rate_limited', `Too many refreshes for this session; retry in ${retryAfterSeconds} s.`, {
          retryAfterSeconds,
          limit: this.refreshLimit.tokens,
        });
      }
      case 'rotated':
      case 'replayed':
      case 'recovered':
      case 'resumed':
        return {
          familyId: token.familyId,
          userId: outcome.userId,
          provider: outcome.provider,
          // The script says which position the token handed out holds (an rt1 token's successor takes the
          // family's count), and whether it is the rt1 successor the code before rt2 stored.
          refreshToken: successor.issue(outcome.rotations, outcome.legacy),
          refreshExpiresAt: outcome.expiresAt,
          outcome: outcome.status,
          ...(outcome.recoveries !== undefined ? { recoveries: outcome.recoveries } : {}),
          ...(outcome.resumes !== undefined ? { resumes: outcome.resumes } : {}),
          assurance: decodeAssurance(outcome.assurance, outcome.provider),
        };
      case 'too_far_ahead':
        // Genuine, but further ahead than its anchors can vouch for: the store lost more than a few
        // rotations of this session. The family is ended (a holder of the token the store still has
        // must not continue it), but nobody is accused.
        await this.redis.zrem(userSessionsKey(outcome.userId), token.familyId);
        throw new AuthError('token_revoked', 'This session could not be continued after a storage failure; sign in again.');
      case 'reused':
        await this.afterReuse(token, outcome.userId, context);
        throw new AuthError('token_reused', 'Refresh token was already used; this session has been signed out.');
      case 'revoked':
        throw new AuthError('token_revoked', 'This session has been signed out.');
      case 'expired':
      case 'unknown':
        throw new AuthError('token_expired', 'Refresh token has expired.');
    }
  }

  /** Revokes the family a refresh token belongs to (sign-out). Unknown or forged tokens are a no-op. */
  async revokeByToken(raw: unknown, reason = 'signout'): Promise<void> {
    const token = this.codec.parse(raw);
    if (token) await this.revokeFamily(token.familyId, reason);
  }

  /** Revokes one family by id and drops it from its user's session index; waits for replicas if configured. */
  async revokeFamily(familyId: string, reason: string): Promise<void> {
    await this.revokeFamilies([familyId], reason);
  }

  /** Revokes families by id (all at once), then waits once for replicas if configured. */
  async revokeFamilies(familyIds: readonly string[], reason: string): Promise<void> {
    await Promise.all(familyIds.map((id) => this.revokeOne(id, reason)));
    if (familyIds.length > 0) await this.waitForReplicas();
  }

  /** How long a revoked family's tombstone lives at least, in seconds. */
  get tombstoneSeconds(): number {
    return this.settings.tombstoneSeconds ?? 0;
  }

  /**
   * After a new session or a security-relevant write: WAIT for the configured replicas, so that the write survives a
   * failover. Sent after the script (WAIT inside a script does not block). Resolves with how many
   * replicas acknowledged, or null when off. Too few is not an error: the write stands on the primary,
   * and refusing the sign-out would not undo it.
   */
  async waitForReplicas(): Promise<number | null> {
    const wait = this.settings.replicaWait;
    if (!wait || wait.replicas <= 0) return null;
    const acked = Number(await this.redis.exec<number>(['WAIT', wait.replicas, wait.timeoutMs]));
    if (acked < wait.replicas) logEvent('warn', 'redis.wait_short', { acked, wanted: wait.replicas, timeoutMs: wait.timeoutMs });
    return acked;
  }

  private async revokeOne(familyId: string, reason: string): Promise<void> {
    const reply = (await this.revokeScript.exec(
      [familyKey(familyId)],
      [reason, String(this.settings.idleSeconds * 1000), String(this.tombstoneSeconds * 1000)],
    )) as string[];
    const userId = reply[0];
    if (userId) await this.redis.zrem(userSessionsKey(userId), familyId);
  }

  /** Security events of a user, newest first. */
  async securityEvents(userId: string): Promise<SecurityEvent[]> {
    const raw = await this.redis.lrange<string>(userEventsKey(userId), 0, MAX_EVENTS - 1);
    return raw.map((line) => JSON.parse(line) as SecurityEvent);
  }

  /** Appends an event to the user's security log (newest first, bounded, expiring). */
  async recordSecurityEvent(event: SecurityEvent): Promise<void> {
    await this.eventWrites(this.redis.pipeline(), event).exec();
  }

  private eventWrites<P extends ReturnType<Redis['pipeline']>>(pipeline: P, event: SecurityEvent): P {
    const events = userEventsKey(event.userId);
    recordSecurityEvent(event.type);
    pipeline
      .lpush(events, JSON.stringify(event))
      .ltrim(events, 0, MAX_EVENTS - 1)
      .expire(events, EVENTS_TTL_SECONDS);
    return pipeline;
  }

  private async afterReuse(token: RefreshToken, userId: string, context: RequestContext): Promise<void> {
    const event: SecurityEvent = {
      type: 'refresh_token_reuse',
      familyId: token.familyId,
      userId,
      at: new Date().toISOString(),
      ...eventSource(context),
    };
    await this.eventWrites(this.redis.pipeline().zrem(userSessionsKey(userId), token.familyId), event).exec();
    await this.waitForReplicas();
  }
}

/** Where an event came from, bounded like every user-supplied field. */
export function eventSource(context: RequestContext): { ip?: string; userAgent?: string } {
  return {
    ...(context.ip ? { ip: context.ip.slice(0, MAX_FIELD) } : {}),
    ...(context.userAgent ? { userAgent: context.userAgent.slice(0, MAX_FIELD) } : {}),
  };
}

/** A security-relevant event shown to the user. */
export type SecurityEvent =
  /** A passkey or second factor changed, a recovery code was used, or wrong codes piled up (lib/mfa/events.ts). */
  | import('../mfa/events').MfaSecurityEvent
  /** A rotated refresh token was presented again (a stolen copy, or a client bug): its session was revoked. */
  | {
      type: 'refresh_token_reuse';
      familyId: string;
      userId: string;
      at: string;
      ip?: string | undefined;
      userAgent?: string | undefined;
    }
  /** The password was changed (every other session signed out) or reset by email (every session signed out). */
  | {
      type: 'password_changed' | 'password_reset';
      userId: string;
      at: string;
      signedOutSessions: number;
      ip?: string | undefined;
      userAgent?: string | undefined;
    }
  /** The email address was changed with a link mailed to the new one; every session but the one that asked was signed out. */
  | {
      type: 'email_changed';
      userId: string;
      at: string;
      signedOutSessions: number;
      ip?: string | undefined;
      userAgent?: string | undefined;
    }
  /** Support acted on the account (npm run admin): looked at it, signed it out everywhere, blocked, unblocked it, or revoked one session. */
  | {
      type: 'support_viewed' | 'support_signed_out' | 'support_blocked' | 'support_unblocked' | 'support_session_revoked';
      userId: string;
      at: string;
      signedOutSessions: number;
      /** The one session revoked (`support_session_revoked`). */
      familyId?: string;
      ip?: string | undefined;
      userAgent?: string | undefined;
    }
  /**
   * A provider-verified sign-in claimed an account whose email nobody had verified (perhaps registered by
   * someone else): its password and linked accounts were removed and every session signed out. `provider` is
   * `email` when a password-reset link mailed to the address made the claim (the account had been made by a
   * provider that did not vouch for the address).
   */
  | {
      type: 'unverified_account_claimed';
      userId: string;
      at: string;
      provider: string;
      signedOutSessions: number;
      ip?: string | undefined;
      userAgent?: string | undefined;
    };
