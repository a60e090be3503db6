/** The Artillery processor keeps each chain on its newest token, and the audit judges its counters against Redis. */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { judge } from './audit';

type Next = (arg?: unknown) => void;
type Hook = (...args: unknown[]) => void;
const processor = createRequire(import.meta.url)('./processor.cjs') as Record<string, Hook>;

/** Runs one processor hook and returns what it passed to `next`. */
function call(name: string, ...args: unknown[]): unknown {
  let result: unknown = 'not called';
  processor[name]!(...args, ((arg?: unknown) => (result = arg)) as Next);
  return result;
}

function counters() {
  const seen: Record<string, number> = {};
  return { seen, events: { emit: (_type: string, name: string, n: number) => void (seen[name] = (seen[name] ?? 0) + n) } };
}

test('a chain presents only its newest token, and stops at a lost or refused answer', () => {
  const { seen, events } = counters();
  const context = { vars: { runId: 'r1', refreshes: 3 } as Record<string, unknown> };
  call('beginChain', context, events);
  assert.equal(context.vars.auditTag, 'artillery-audit/r1/honest');
  call('startChain', {}, { statusCode: 200, body: JSON.stringify({ refresh_token: 't0' }) }, context, events);
  const presented: unknown[] = [];
  for (const next of ['t1', 't2']) {
    const req: { json?: { refresh_token: string } } = {};
    call('presentNewest', req, context, events);
    presented.push(req.json?.refresh_token);
    call('rotateChain', req, { statusCode: 200, body: JSON.stringify({ refresh_token: next }) }, context, events);
    assert.equal(call('chainGoesOn', context), true);
  }
  assert.deepEqual(presented, ['t0', 't1']);
  // The third request's answer is lost (transport error: no afterResponse): the chain must not go on.
  call('presentNewest', {}, context, events);
  assert.equal(call('chainGoesOn', context), false);
  call('endChain', context, events);
  assert.equal(seen['audit.rotations'], 2);
  assert.equal(seen['audit.chains_completed.honest'], undefined, 'an unanswered request leaves the chain unfinished');

  const refused = { vars: { runId: 'r1', refreshes: 5 } as Record<string, unknown> };
  call('beginChain', refused, events);
  call('startChain', {}, { statusCode: 200, body: JSON.stringify({ refresh_token: 'u0' }) }, refused, events);
  call('presentNewest', {}, refused, events);
  call('rotateChain', {}, { statusCode: 401, body: JSON.stringify({ error: { code: 'token_reused' } }) }, refused, events);
  assert.equal(call('chainGoesOn', refused), false);
  assert.equal(seen['audit.honest_refused'], 1);
  assert.equal(seen['audit.honest_refused.token_reused'], 1);
});

test('a thief replays the superseded token, not the newest', () => {
  const { events } = counters();
  const context = { vars: { runId: 'r1', refreshes: 1, graceSeconds: 0 } as Record<string, unknown> };
  call('beginTheft', context, events);
  call('startChain', {}, { statusCode: 200, body: JSON.stringify({ refresh_token: 'old' }) }, context, events);
  call('presentNewest', {}, context, events);
  call('rotateChain', {}, { statusCode: 200, body: JSON.stringify({ refresh_token: 'new' }) }, context, events);
  const replay: { json?: { refresh_token: string } } = {};
  call('presentStolen', replay, context, events);
  assert.equal(replay.json?.refresh_token, 'old');
  const victim: { json?: { refresh_token: string } } = {};
  call('presentNewest', victim, context, events);
  assert.equal(victim.json?.refresh_token, 'new');
});

const family = (kind: string | null, st: string, rot: number) => ({ id: `f${Math.random()}`, kind, st, rot });
const clean = {
  'audit.chains_started.honest': 2,
  'audit.chains_completed.honest': 2,
  'audit.chains_started.thief': 1,
  'audit.chains_completed.thief': 1,
  'audit.rotations': 11,
  'audit.replays': 1,
  'audit.replays_refused': 1,
  'audit.victims_refused': 1,
};

test('the audit passes a clean run and names each kind of violation', () => {
  const families = [family('honest', 'active', 5), family('honest', 'active', 5), family(null, 'revoked', 1)];
  assert.equal(judge(clean, families).ok, true);

  // An honest session revoked in Redis behind its client's back (it lost its User-Agent on revocation).
  const wronglyRevoked = judge(clean, [family(null, 'revoked', 5), family('honest', 'active', 5), family(null, 'revoked', 1)]);
  assert.equal(wronglyRevoked.violations.honestWronglyRevoked, 1);
  // A replay refused, but the family still active.
  assert.equal(
    judge(clean, [family('honest', 'active', 5), family('honest', 'active', 5), family('thief', 'active', 1)]).violations
      .attackedFamiliesNotRevoked,
    1,
  );
  // A stale replay accepted.
  assert.equal(judge({ ...clean, 'audit.stale_replays_accepted': 1 }, families).violations.staleReplaysAcceptedAfterGrace, 1);
  // Redis rotated more than the clients saw, with every chain finished.
  assert.equal(
    judge(clean, [family('honest', 'active', 6), family('honest', 'active', 5), family(null, 'revoked', 1)]).violations
      .rotationMismatch,
    1,
  );
  // …which an unfinished chain excuses by one rotation, not two.
  const unfinished = { ...clean, 'audit.chains_completed.honest': 1 };
  assert.equal(
    judge(unfinished, [family('honest', 'active', 6), family('honest', 'active', 5), family(null, 'revoked', 1)]).ok,
    true,
  );
  assert.equal(
    judge(unfinished, [family('honest', 'active', 7), family('honest', 'active', 5), family(null, 'revoked', 1)]).ok,
    false,
  );
});
