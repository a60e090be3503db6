/**
 * @module Security events of second factors and passkeys, and the mail that tells the owner about each: one
 * place, so the account page, the API and the mailbox say the same thing. Mail is best effort: the action
 * already happened, and an unreachable relay must not undo it or hide it from the event list.
 */
import type { Mailer } from '../mail/mailer';
import { logEvent } from '../observability/log';
import { eventSource, type RequestContext, type RotationEngine } from '../tokens/rotation';

/** An event of a second factor or a passkey. */
export interface MfaSecurityEvent {
  type:
    | 'passkey_added'
    | 'passkey_removed'
    | 'totp_enabled'
    | 'totp_disabled'
    | 'recovery_codes_regenerated'
    | 'recovery_code_used'
    | 'second_factor_failures';
  userId: string;
  at: string;
  /** The passkey added or removed. */
  passkeyName?: string | undefined;
  /** Unused recovery codes left after one was used. */
  recoveryCodesLeft?: number | undefined;
  ip?: string | undefined;
  userAgent?: string | undefined;
}

/** What each event says, in the owner's words (mail subject and first line). */
export function describeMfaEvent(e: MfaSecurityEvent): string {
  switch (e.type) {
    case 'passkey_added':
      return `A passkey ("${e.passkeyName ?? ''}") was added to your account.`;
    case 'passkey_removed':
      return `A passkey ("${e.passkeyName ?? ''}") was removed from your account.`;
    case 'totp_enabled':
      return 'Two-step verification with an authenticator app was turned on.';
    case 'totp_disabled':
      return 'Two-step verification with an authenticator app was turned off.';
    case 'recovery_codes_regenerated':
      return 'New recovery codes were made; the old ones no longer work.';
    case 'recovery_code_used':
      return `A recovery code was used to sign in or confirm an action; ${e.recoveryCodesLeft ?? 0} left.`;
    case 'second_factor_failures':
      return 'Someone entered many wrong second-factor codes for your account; further attempts are paused for a while.';
  }
}

/** Records events on the account's security log and mails the owner. */
export class MfaNotifier {
  constructor(
    private readonly rotation: RotationEngine,
    private readonly mailer: Mailer | null,
  ) {}

  /** Records `type` for the user (with where it came from) and mails them; mail failures are logged, not thrown. */
  async notify(
    user: { id: string; email: string },
    type: MfaSecurityEvent['type'],
    context: RequestContext,
    extra: Pick<MfaSecurityEvent, 'passkeyName' | 'recoveryCodesLeft'> = {},
  ): Promise<void> {
    const event: MfaSecurityEvent = { type, userId: user.id, at: new Date().toISOString(), ...extra, ...eventSource(context) };
    await this.rotation.recordSecurityEvent(event);
    logEvent(type === 'second_factor_failures' ? 'warn' : 'info', `auth.${type}`, { userId: user.id, ip: context.ip });
    if (!this.mailer || user.email.endsWith('.invalid')) return;
    const text = `${describeMfaEvent(event)}\n\nWhen: ${event.at}${event.ip ? `\nFrom: ${event.ip}` : ''}\n\nIf this was not you, change your password and review your account's security settings.`;
    await this.mailer
      .send({ to: user.email, subject: describeMfaEvent(event), text })
      .catch((error: unknown) => logEvent('warn', 'mail_failed', { kind: type, error: (error as Error).name }));
  }
}
