/**
 * @module `tsx scripts/loadtest/artillery/prepare.ts --url URL [--run-id ID] [--grace S] [--refreshes N]`:
 * signs up the one user of an Artillery run (through the public API, as `npm run loadtest` does) and prints
 * the scenario's variables as JSON, for `artillery run … --variables "$(…)"`. Each virtual user then signs in
 * as this user: one session (chain) per virtual user, tagged with the run id.
 */
import { JsonClient } from '../http';
import { num, parseUsage, UsageError } from '../options';
import { createSessions } from '../setup';

const HELP = `Signs up the user of an Artillery run and prints the scenario variables (JSON).

Usage: tsx scripts/loadtest/artillery/prepare.ts --url URL [options]
  --url URL        the API under test (its /api/v1 routes)
  --run-id ID      tags this run's sessions (User-Agent) for the audit    [random]
  --grace S        the server's REFRESH_GRACE_SECONDS (thieves wait past it) [20]
  --refreshes N    refreshes per honest chain                            [50]`;

async function main(): Promise<void> {
  const { values: v } = parseUsage({
    options: {
      url: { type: 'string' },
      'run-id': { type: 'string' },
      grace: { type: 'string' },
      refreshes: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (v.help) return console.log(HELP);
  if (!v.url) throw new UsageError('--url is required');
  const runId = v['run-id'] ?? `a${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  if (!/^[A-Za-z0-9_-]{1,40}$/.test(runId)) throw new UsageError('--run-id must be 1 to 40 letters, digits, _ or -');
  const graceSeconds = num(v.grace, 'grace', 20, 0, 3_600);
  const refreshes = num(v.refreshes, 'refreshes', 50, 1, 1_000_000);
  const password = `artillery-${crypto.randomUUID()}`;
  const client = new JsonClient(v.url, 4, 60_000);
  try {
    // The same sign-up the load test uses; its address is loadtest-<runId>-0@loadtest.example.com.
    await createSessions(client, { users: 1, sessions: 0, concurrency: 1, password, runId });
  } finally {
    client.close();
  }
  console.log(JSON.stringify({ runId, email: `loadtest-${runId}-0@loadtest.example.com`, password, graceSeconds, refreshes }));
}

try {
  await main();
} catch (error) {
  const usage = error instanceof UsageError;
  console.error(`artillery prepare: ${(error as Error).message}${usage ? ' (see --help)' : ''}`);
  process.exitCode = usage ? 2 : 1;
}
