import type { MfaStatus } from '@/lib/mfa/service';
import type { PasskeyInfo } from '@/lib/passkeys/service';
import type { Assurance } from '@/lib/tokens/assurance';
import { AddPasskey, DisableTotp, RegenerateRecoveryCodes, RemovePasskey, RenamePasskey, TotpSetup } from './security-forms';

const when = (ms: number) => new Date(ms).toISOString().replace('T', ' ').slice(0, 16) + ' UTC';

/** Passkeys and two-step verification, and how this session was signed in. */
export function SecuritySettings({
  passkeys,
  status,
  assurance,
}: {
  passkeys: PasskeyInfo[];
  status: MfaStatus;
  assurance: Assurance | null;
}) {
  return (
    <>
      <section>
        <h2>Passkeys</h2>
        <p className="muted" data-testid="session-assurance" data-aal={assurance?.aal}>
          This session: {assurance?.aal === 'aal2' ? 'signed in with two factors' : 'signed in with one factor'} (
          {assurance?.amr.join(', ')}).
        </p>
        <ul data-testid="passkeys" className="plain">
          {passkeys.map((p) => (
            <li key={p.id} data-passkey-id={p.id}>
              <strong data-testid="passkey-name">{p.name}</strong>
              <div className="muted">
                added {when(p.createdAt)} · {p.lastUsedAt ? `last used ${when(p.lastUsedAt)}` : 'never used'}
                {p.synced ? ' · synced' : ''}
              </div>
              <RenamePasskey id={p.id} name={p.name} />
              <RemovePasskey id={p.id} />
            </li>
          ))}
        </ul>
        <AddPasskey />
      </section>
      <section>
        <h2>Two-step verification</h2>
        {status.totpEnabled ? (
          <>
            <p data-testid="totp-status" data-enabled="true">
              On: signing in with a password or a provider also asks for a code from your authenticator app.{' '}
              {status.recoveryCodesLeft} recovery code{status.recoveryCodesLeft === 1 ? '' : 's'} left.
            </p>
            <RegenerateRecoveryCodes />
            <DisableTotp />
          </>
        ) : (
          <>
            <p className="muted" data-testid="totp-status" data-enabled="false">
              Off. Add an authenticator app so that a stolen password alone does not open your account.
            </p>
            <TotpSetup />
          </>
        )}
      </section>
    </>
  );
}
