import { deviceLabel } from '@/lib/tokens/device-label';
import type { SessionInfo } from '@/lib/tokens/sessions';
import type { SecurityEvent } from '@/lib/tokens/rotation';
import { describeMfaEvent } from '@/lib/mfa/events';
import { devicesSignedOut } from '../_components/devices';
import { ConfirmAction } from '../_components/confirm-action';
import { RelativeTime } from '../_components/relative-time';
import { relativeTime } from '../_lib/relative-time';
import { revokeAllSessionsAction, revokeOtherSessionsAction, revokeSessionAction } from './actions';

/** A time in words, with the exact time on hover (in the browser's time zone). */
function When({ at, now }: { at: number | string; now: number }) {
  const ms = typeof at === 'number' ? at : Date.parse(at);
  return <RelativeTime at={ms} initial={relativeTime(ms, now)} />;
}

/** The user's signed-in devices, each with a sign-out that asks first and says what it did. */
export function SessionList({
  sessions,
  currentId,
  providerName,
}: {
  sessions: SessionInfo[];
  currentId: string;
  providerName: (id: string) => string;
}) {
  const now = Date.now();
  const others = sessions.filter((s) => s.id !== currentId).length;
  return (
    <section>
      <h2>Signed-in devices</h2>
      <ul data-testid="sessions" className="plain">
        {sessions.map((s) => {
          const label = deviceLabel(s.userAgent);
          return (
            <li key={s.id} data-session-id={s.id}>
              <strong data-testid="device-name">{label}</strong>
              {s.id === currentId && <em> (this device)</em>}
              <div className="muted">
                Signed in with {providerName(s.provider)} <When at={s.createdAt} now={now} />, last active{' '}
                <When at={s.lastUsedAt} now={now} />
                {s.ip ? `, from ${s.ip}` : ''}.
              </div>
              {s.id !== currentId && (
                <ConfirmAction
                  action={revokeSessionAction}
                  label="Sign out this device"
                  question={
                    <>
                      Sign out <strong>{label}</strong>? It will need to sign in again.
                    </>
                  }
                  confirmLabel="Yes, sign it out"
                  hidden={{ sessionId: s.id }}
                />
              )}
            </li>
          );
        })}
      </ul>
      <div className="actions">
        <ConfirmAction
          action={revokeOtherSessionsAction}
          label="Sign out all other devices"
          question={`Sign out the ${others === 1 ? 'other device' : `${others} other devices`}? This one stays signed in.`}
          confirmLabel="Yes, sign them out"
          disabledReason={others === 0 ? 'This is your only signed-in device.' : undefined}
          testId="revoke-others"
        />
        <ConfirmAction
          action={revokeAllSessionsAction}
          label="Sign out everywhere"
          question="Sign out every device, this one included?"
          confirmLabel="Yes, sign out everywhere"
          testId="revoke-all"
        />
      </div>
    </section>
  );
}

/** Where an event came from, as the device list names it. */
const source = (e: SecurityEvent) => {
  if (!e.userAgent && !e.ip) return '';
  const device = e.userAgent ? deviceLabel(e.userAgent) : 'a device';
  return ` on ${device}${e.ip ? ` (${e.ip})` : ''}`;
};

/** What an event means, in plain sentences. */
function describe(e: SecurityEvent, providerName: (id: string) => string): string {
  switch (e.type) {
    case 'refresh_token_reuse':
      return `An old sign-in token was used again${source(e)}, so we signed that session out to protect you. If that was not you, change your password.`;
    case 'password_changed':
      return `Your password was changed${source(e)}. ${devicesSignedOut(e.signedOutSessions, 'other')}`;
    case 'email_changed':
      return `Your email address was changed with a link sent to the new address${source(e)}. ${devicesSignedOut(e.signedOutSessions, 'other')}`;
    case 'password_reset':
      return `Your password was reset with a link sent by email${source(e)}. ${devicesSignedOut(e.signedOutSessions)}`;
    case 'unverified_account_claimed':
      if (e.provider === 'email') {
        return (
          `You set a password with a link sent to this address${source(e)}. Another provider's sign-in had created this ` +
          `account without confirming the address, perhaps someone else's, so we unlinked it. ${devicesSignedOut(e.signedOutSessions)}`
        );
      }
      return (
        `You signed in with ${providerName(e.provider)}, which confirmed this email address, to an account whose email nobody had confirmed, ` +
        `perhaps created by someone else: its password was removed and ${devicesSignedOut(e.signedOutSessions).replace(/\.$/, '')}${source(e)}. ` +
        `To sign in with a password too, set one with "Forgot your password?".`
      );
    case 'passkey_added':
    case 'passkey_removed':
    case 'totp_enabled':
    case 'totp_disabled':
    case 'recovery_codes_regenerated':
    case 'recovery_code_used':
    case 'second_factor_failures':
      return `${describeMfaEvent(e).replace(/\.$/, '')}${source(e)}.`;
    case 'support_viewed':
      return `Our support team looked at this account's details and devices.`;
    case 'support_signed_out':
      return `Our support team signed you out everywhere. ${devicesSignedOut(e.signedOutSessions)}`;
    case 'support_blocked':
      return `Our support team blocked this account. ${devicesSignedOut(e.signedOutSessions)}`;
    case 'support_unblocked':
      return `Our support team unblocked this account.`;
    case 'support_session_revoked':
      return `Our support team signed out one of your devices.`;
  }
}

/** Security events: a replayed (stolen) refresh token that revoked a session, a password change or reset. */
export function SecurityEvents({ events, providerName }: { events: SecurityEvent[]; providerName: (id: string) => string }) {
  if (events.length === 0) return null;
  const now = Date.now();
  return (
    <section>
      <h2>Security events</h2>
      <ul data-testid="security-events" className="plain">
        {events.map((e, i) => (
          <li
            key={`${e.type}-${e.at}-${i}`}
            className={e.type === 'refresh_token_reuse' ? 'error' : undefined}
            data-event={e.type}
          >
            <When at={e.at} now={now} />: {describe(e, providerName)}
          </li>
        ))}
      </ul>
    </section>
  );
}
