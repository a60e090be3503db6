/** @module Creating the test's users and sessions through the public API (sign-up, then sign-in). */
import { errorCode, type JsonClient } from './http';

/** Why a load test from one IP needs the server's rate limits raised, and how. */
export const RATE_LIMIT_HINT =
  'All load-test clients share one IP, so the server under test needs generous limits, e.g. start it with\n' +
  '  eval "$(npx tsx scripts/rate-limits.ts 9999999/1)"   (sets every RATE_LIMIT_* variable)';

/** How a session is driven during the run. */
export type SessionKind = 'honest' | 'race' | 'attacker' | 'lossy';

/** One signed-in device as the load test tracks it. */
export interface Session {
  index: number;
  id: string;
  kind: SessionKind;
  /** The newest refresh token this client has been handed. */
  token: string;
  /** Rotations this client observed (200 responses carrying a token it had not seen). */
  rotations: number;
  /** Lost responses this client got back by retrying after the grace window (status `recovered`). */
  recoveries: number;
  /**
   * Its last refresh was a recovery. A lossy client then does not drop the next answer: a second lost
   * response in a row retried after the window is the one case the server treats as theft (docs/security.md).
   */
  justRecovered: boolean;
  /**
   * active; `attacked` once a thief's replay revoked it (expected); `late` when a race or retry
   * arrived after the grace window (excused, the server was slower than the window); `uncertain`
   * when a response was lost and retries did not settle it (excluded from the exact rotation match).
   */
  state: 'active' | 'attacked' | 'late' | 'uncertain' | 'wrongly_revoked';
}

/** Runs `worker` over 0..count-1 with at most `limit` in flight. */
export async function forEachLimited(count: number, limit: number, worker: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, count) }, async () => {
    while (next < count) await worker(next++);
  });
  await Promise.all(lanes);
}

/** The address of a run's user number `u` (its password is the run's). */
export const loadtestEmail = (runId: string, u: number) => `loadtest-${runId}-${u}@loadtest.example.com`;

/** Signs up `users` users and signs in `sessions` sessions round-robin over them; throws on any failure. */
export async function createSessions(
  client: JsonClient,
  opts: {
    users: number;
    sessions: number;
    concurrency: number;
    password: string;
    runId: string;
    onProgress?: (done: number) => void;
  },
): Promise<{ ids: string[]; tokens: string[]; signupMs: number; signinMs: number }> {
  const email = (u: number) => loadtestEmail(opts.runId, u);
  const fail = (what: string, r: Awaited<ReturnType<JsonClient['post']>>) =>
    new Error(
      `${what} failed: HTTP ${r.status} ${errorCode(r)} ${typeof r.body === 'string' ? r.body.slice(0, 200) : JSON.stringify(r.body)}` +
        (r.status === 429 ? `\n${RATE_LIMIT_HINT}` : ''),
    );

  let started = performance.now();
  await forEachLimited(opts.users, opts.concurrency, async (u) => {
    const r = await client.post('/api/v1/auth/signup', { email: email(u), password: opts.password });
    // 409: left over from an earlier run with the same id; signing in still works. 202: the server verifies
    // emails (EMAIL_VERIFICATION); with "optional" signing in works before the link is used.
    if (r.status !== 201 && r.status !== 202 && r.status !== 409) throw fail(`sign-up of ${email(u)}`, r);
  });
  const signupMs = performance.now() - started;

  const ids: string[] = new Array<string>(opts.sessions);
  const tokens: string[] = new Array<string>(opts.sessions);
  let done = 0;
  started = performance.now();
  await forEachLimited(opts.sessions, opts.concurrency, async (i) => {
    let r = await client.post('/api/v1/auth/signin', { email: email(i % opts.users), password: opts.password });
    // After a 202 the account is created after the answer (no enumeration by timing): a sign-in can beat it.
    for (let retry = 0; r.status === 401 && retry < 50; retry++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      r = await client.post('/api/v1/auth/signin', { email: email(i % opts.users), password: opts.password });
    }
    const body = r.body as { session_id?: unknown; refresh_token?: unknown } | null;
    if (r.status !== 200 || typeof body?.session_id !== 'string' || typeof body.refresh_token !== 'string')
      throw fail('sign-in', r);
    ids[i] = body.session_id;
    tokens[i] = body.refresh_token;
    opts.onProgress?.(++done);
  });
  return { ids, tokens, signupMs, signinMs: performance.now() - started };
}
