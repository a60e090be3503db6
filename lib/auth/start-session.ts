/**
 * @module Starting a signed-in session (password, provider, passkey or second factor), closed against a support
 * block or an account deletion that lands at the same moment.
 *
 * Blocking writes `blocked_at`, then revokes the user's sessions; deleting removes the user, then its sessions.
 * A sign-in here starts its family, then reads the user again. Either that read comes after the block (and sees
 * it), or the family was in the user's session index before the block's sweep read it: no session outlives
 * a block or a deletion, and neither needs a second sweep.
 */
import type { FamilyOwner } from '../tokens/rotation';
import { toPublicUser, type UserRecord, type UserRepository } from '../users/repository';
import { AuthError } from './errors';
import { withAccessToken, type SessionTokens, type TokenIssuer } from './session-tokens';

/** The refusal of a blocked account: 403 at the API; says whom to contact, not why. */
export function accountBlocked(): AuthError {
  return new AuthError('account_blocked', 'This account is blocked. Contact support.');
}

/** Starts a session for `user` (read by the caller) with its token pair, unless the user is blocked or gone by now. */
export async function startSession(
  issuer: TokenIssuer,
  users: Pick<UserRepository, 'findById'>,
  user: UserRecord,
  owner: Omit<FamilyOwner, 'userId'>,
): Promise<SessionTokens> {
  if (user.blockedAt) throw accountBlocked();
  const issued = await issuer.rotation.start({ ...owner, userId: user.id });
  const now = await users.findById(user.id);
  if (!now || now.blockedAt) {
    await issuer.rotation.revokeFamily(issued.familyId, now ? 'account_blocked' : 'account_deleted');
    throw now ? accountBlocked() : new AuthError('invalid_token', 'This account no longer exists.');
  }
  return withAccessToken(issuer, issued, toPublicUser(now));
}
