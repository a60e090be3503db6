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

/**
 * True when the database could not be reached or did not answer (as opposed to refusing a query): the
 * Prisma error classes and codes for that, and the network errors of the pg driver or of Accelerate's
 * HTTP, which reach us with only a name or a message to tell them by. This is the one place that reads them.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (['PrismaClientInitializationError', 'PrismaClientRustPanicError', 'TimeoutError', 'AbortError'].includes(error.name))
    return true;
  // P1001 can't reach, P1002 timed out, P1008 operation timed out, P1017 connection closed, P2024 pool timeout.
  if (['P1001', 'P1002', 'P1008', 'P1017', 'P2024'].some((code) => isPrismaErrorCode(error, code))) return true;
  const text = `${error.message} ${String((error as { cause?: unknown }).cause ?? '')}`;
  return /fetch failed|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|Can't reach database|Connection terminated/i.test(text);
}
