import { deviceLabel } from '@/lib/tokens/device-label';
import { devicesWere } from '../_components/devices';
import type { SessionInfo } from '@/lib/tokens/sessions';
import type { SecurityEvent } from '@/lib/tokens/rotation';
import { describeMfaEvent } from '@/lib/mfa/events';
import { revokeAllSessionsAction, revokeSessionAction } from './actions';
import { SignOutOthers } from './security/security-forms';

const when = (ms: number | string) => new Date(ms).toISOString().replace('T', ' ').slice(0, 19) + ' UTC';

/** The user's signed-in devices, with a sign-out button for each. */
export function SessionList({ sessions, currentId }: { sessions: SessionInfo[]; currentId: string }) {
  return (
    <section>
      <h2>Signed-in devices</h2>
      <ul data-testid="sessions">
        {sessions.map((s) => (
          <li key={s.id} data-session-id={s.id}>
            <strong title={s.userAgent ?? undefined} data-testid="device-name">
              {deviceLabel(s.userAgent)}
            </strong>
            {s.id === currentId && <em> (this device)</em>}
            <div className="muted">
              {s.provider} · signed in {when(s.createdAt)} · last used {when(s.lastUsedAt)}
              {s.ip ? ` · ${s.ip}` : ''}
            </div>
            {s.id !== currentId && (
              <form action={revokeSessionAction}>
                <input type="hidden" name="sessionId" value={s.id} />
                <button type="submit">Sign out this device</button>
              </form>
            )}
          </li>
        ))}
      </ul>
      <SignOutOthers />
      <form action={revokeAllSessionsAction}>
        <button type="submit">Sign out everywhere</button>
      </form>
    </section>
  );
}

const source = (e: SecurityEvent) => (e.ip ? ` (from ${e.ip}${e.userAgent ? `, ${e.userAgent}` : ''})` : '');

/** What an event means, in the user's words. */
function describe(e: SecurityEvent): string {
  switch (e.type) {
    case 'refresh_token_reuse':
      return `an old sign-in token was used again, so that session was signed out to protect you${source(e)}.`;
    case 'password_changed':
      return `your password was changed${source(e)}; ${devicesWere(e.signedOutSessions, 'other')} signed out.`;
    case 'password_reset':
      return `your password was reset with a link sent by email${source(e)}; ${devicesWere(e.signedOutSessions)} signed out.`;
    case 'passkey_added':
    case 'passkey_removed':
    case 'totp_enabled':
    case 'totp_disabled':
    case 'recovery_codes_regenerated':
    case 'recovery_code_used':
    case 'second_factor_failures':
      return `${describeMfaEvent(e)}${source(e)}`;
    case 'unverified_account_claimed':
      if (e.provider === 'email') {
        return (
          `you set a password with a link sent to this address, for an account that a sign-in with another provider had ` +
          `created without that provider confirming the address, perhaps by someone else: that sign-in was unlinked and ` +
          `${devicesWere(e.signedOutSessions)} signed out${source(e)}.`
        );
      }
      return (
        `you signed in with ${e.provider}, which confirmed this email address, to an account whose email nobody had confirmed, ` +
        `perhaps created by someone else: its password was removed and ${devicesWere(e.signedOutSessions)} signed out${source(e)}. ` +
        `To sign in with a password too, set one with "Forgot your password?".`
      );
    case 'support_viewed':
      return `our support team looked at this account's details and devices.`;
    case 'support_signed_out':
      return `our support team signed you out everywhere; ${devicesWere(e.signedOutSessions)} signed out.`;
    case 'support_blocked':
      return `our support team blocked this account; ${devicesWere(e.signedOutSessions)} signed out.`;
    case 'support_unblocked':
      return `our support team unblocked this account.`;
    case 'support_session_revoked':
      return `our support team signed out one of your devices.`;
  }
}

/** Security events: a replayed (stolen) refresh token that revoked a session, a password change. */
export function SecurityEvents({ events }: { events: SecurityEvent[] }) {
  if (events.length === 0) return null;
  return (
    <section>
      <h2>Security events</h2>
      <ul data-testid="security-events">
        {events.map((e, i) => (
          <li
            key={`${e.type}-${e.at}-${i}`}
            className={e.type === 'refresh_token_reuse' ? 'error' : undefined}
            data-event={e.type}
          >
            {when(e.at)}: {describe(e)}
          </li>
        ))}
      </ul>
    </section>
  );
}
