/** @module lib/db/errors — runtime-agnostic checks for Prisma known-request errors (the edge and Node clients have distinct error classes, so `instanceof` is unreliable). */

/** True if `error` is a Prisma known-request error with the given code (e.g. "P2002"). */
export function isPrismaErrorCode(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === code;
}

/** True for a unique-constraint violation (P2002), e.g. a duplicate email or provider account. */
export function isUniqueViolation(error: unknown): boolean {
  return isPrismaErrorCode(error, 'P2002');
}

/** True when an update/delete target record does not exist (P2025). */
export function isRecordNotFound(error: unknown): boolean {
  return isPrismaErrorCode(error, 'P2025');
}
