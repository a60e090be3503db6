/** @module Setting a new password: the one way a password change and a password reset both do it. */
import { hashPassword } from '../passwords/hash';
import { eventSource, type RequestContext, type RotationEngine } from '../tokens/rotation';
import type { SessionDirectory } from '../tokens/sessions';
import type { UserRepository } from '../users/repository';

/** What replacing a password needs. */
export interface PasswordReplacementDeps {
  users: UserRepository;
  sessions: SessionDirectory;
  rotation: RotationEngine;
  passwordIterations: number;
}

/**
 * Stores a new password, signs out every session but `keep` and records the security event; returns how
 * many sessions were signed out. Sessions go first, so if the store then fails the old password still
 * works and a retry finishes the job; and again after, for a sign-in with the old password that raced it.
 */
export async function replacePassword(
  deps: PasswordReplacementDeps,
  userId: string,
  newPassword: string,
  how: { event: 'password_changed' | 'password_reset'; keep?: string | undefined; context: RequestContext },
): Promise<number> {
  const newHash = await hashPassword(newPassword, deps.passwordIterations);
  let signedOutSessions = await deps.sessions.revokeAll(userId, how.keep);
  await deps.users.updatePasswordHash(userId, newHash);
  signedOutSessions += await deps.sessions.revokeAll(userId, how.keep);
  await deps.rotation.recordSecurityEvent({
    type: how.event,
    userId,
    at: new Date().toISOString(),
    signedOutSessions,
    ...eventSource(how.context),
  });
  return signedOutSessions;
}
