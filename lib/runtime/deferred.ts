/**
 * @module Work that runs after the answer has been sent (mail, notices). A use case whose answer must not
 * depend on what it looked up (sign-up, password reset: no account enumeration by timing) hands that work
 * to a `Defer` instead of awaiting it. The entry point supplies the `Defer` of its platform (the edge's
 * `waitUntil`, Next.js's `after()`); lib/ knows none of them.
 */
import { logEvent } from '../observability/log';

/** A deferred task: it must not throw into its caller (the answer is already sent), so its errors are logged. */
export type DeferredTask = () => Promise<void>;

/** Schedules a task to run after the answer; the caller does not wait for it. */
export type Defer = (task: DeferredTask) => void;

/** Runs a deferred task, logging (never rethrowing) what it throws: nobody is left to answer. */
export async function runDeferred(task: DeferredTask): Promise<void> {
  try {
    await task();
  } catch (error) {
    // The message only: a task's error may quote its input, but never a token or a password (they are not in it).
    logEvent('error', 'deferred.failed', { error: error instanceof Error ? error.message : String(error) });
  }
}

const pending = new Set<Promise<void>>();

/**
 * Fire-and-forget for a runtime without `waitUntil` (the standalone Node server, tests, scripts): starts the
 * task at once, in this process, and keeps it in `settled()` so shutdown and tests can wait for it.
 */
export const inBackground: Defer = (task) => {
  const running = runDeferred(task).finally(() => pending.delete(running));
  pending.add(running);
};

/** Resolves once every task started by `inBackground` so far (and any they start) has finished. */
export async function settled(): Promise<void> {
  while (pending.size > 0) await Promise.all([...pending]);
}

/** A Defer over a platform's `waitUntil(promise)`: the platform keeps the function alive until the task ends. */
export const viaWaitUntil =
  (waitUntil: (promise: Promise<unknown>) => void): Defer =>
  (task) =>
    waitUntil(runDeferred(task));
