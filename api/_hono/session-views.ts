/**
 * @module How `GET /auth/sessions` and `GET /auth/security-events` show the domain's sessions and events:
 * in snake_case, like the token responses (token-response.ts), so the API speaks one casing. A token
 * family is a "session" everywhere in the API, as `session_id` is in the token response.
 */
import type { SessionInfo } from '../../lib/tokens/sessions';
import type { SecurityEvent } from '../../lib/tokens/rotation';

/** One signed-in device. Times are ms since the epoch. */
export interface SessionView {
  id: string;
  provider: string;
  created_at: number;
  last_used_at: number;
  expires_at: number;
  user_agent: string | null;
  ip: string | null;
  /** The session of the access token that asked. */
  current: boolean;
}

/** A security event; fields that do not apply to its type are absent. */
export interface SecurityEventView {
  type: SecurityEvent['type'];
  user_id: string;
  /** ISO 8601. */
  at: string;
  /** The session a reused refresh token revoked. */
  session_id?: string;
  /** Sessions a password change or reset, an email change, or a claimed account, signed out. */
  signed_out_sessions?: number;
  /** The provider whose verified sign-in claimed the account, or `email` for a reset link mailed to the address. */
  provider?: string;
  ip?: string;
  user_agent?: string;
  /** The passkey added or removed. */
  passkey_name?: string;
  /** Unused recovery codes left after one was used. */
  recovery_codes_left?: number;
}

/** A session as the API shows it to the bearer of `currentSessionId`. */
export function sessionView(s: SessionInfo, currentSessionId: string): SessionView {
  return {
    id: s.id,
    provider: s.provider,
    created_at: s.createdAt,
    last_used_at: s.lastUsedAt,
    expires_at: s.expiresAt,
    user_agent: s.userAgent,
    ip: s.ip,
    current: s.id === currentSessionId,
  };
}

/** A security event as the API shows it. */
export function securityEventView(e: SecurityEvent): SecurityEventView {
  const view: SecurityEventView = { type: e.type, user_id: e.userId, at: e.at };
  if ('familyId' in e) view.session_id = e.familyId;
  if ('signedOutSessions' in e) view.signed_out_sessions = e.signedOutSessions;
  if ('provider' in e) view.provider = e.provider;
  if ('passkeyName' in e && e.passkeyName !== undefined) view.passkey_name = e.passkeyName;
  if ('recoveryCodesLeft' in e && e.recoveryCodesLeft !== undefined) view.recovery_codes_left = e.recoveryCodesLeft;
  if (e.ip) view.ip = e.ip;
  if (e.userAgent) view.user_agent = e.userAgent;
  return view;
}
