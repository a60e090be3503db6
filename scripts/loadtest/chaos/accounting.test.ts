/** The chaos run's per-fault accounting: events land in the right fault, and a wrongly ended session fails a strict fault. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { accountFaults, endIsExpected, phaseOf, type FaultWindow, type Timeline } from './accounting';

const fault = (id: string, startAt: number, endAt: number, extra: Partial<FaultWindow> = {}): FaultWindow => ({
  id,
  title: id,
  startAt,
  endAt,
  expectation: 'strict',
  details: {},
  ...extra,
});

const timeline = (over: Partial<Timeline>): Timeline => ({
  runStart: 0,
  runEnd: 1000,
  faults: [fault('stall', 100, 200), fault('failover', 400, 450, { expectation: 'expected_failure', pending: 'ahead rule' })],
  requests: [],
  retries: [],
  violations: [],
  excuses: [],
  ...over,
});

test('each event belongs to the phase of the fault it follows; before the first is the baseline', () => {
  const t = timeline({});
  assert.equal(phaseOf(t.faults, 50), -1);
  assert.equal(phaseOf(t.faults, 100), 0);
  assert.equal(phaseOf(t.faults, 399), 0);
  assert.equal(phaseOf(t.faults, 400), 1);
  assert.equal(phaseOf(t.faults, 999), 1);
});

test('503s and lost connections during a fault are counted, and the time until refreshes succeed after it', () => {
  const { faults } = accountFaults(
    timeline({
      requests: [
        { at: 120, what: 'refresh', outcome: 'unavailable' },
        { at: 150, what: 'refresh', outcome: 'transport' },
        { at: 160, what: 'signin', outcome: 'unavailable' },
        { at: 230, what: 'refresh', outcome: 'unavailable' },
        { at: 260, what: 'refresh', outcome: 'ok' },
        { at: 300, what: 'refresh', outcome: 'ok' },
      ],
      retries: [
        { at: 230, late: false },
        { at: 260, late: true },
      ],
    }),
  );
  const stall = faults[0];
  assert.ok(stall);
  assert.equal(stall.during.refreshes.unavailable, 1);
  assert.equal(stall.during.refreshes.transport, 1);
  assert.equal(stall.during.signins.unavailable, 1);
  assert.equal(stall.after.refreshes.unavailable, 1);
  assert.equal(stall.refreshOkAfterMs, 60);
  assert.equal(stall.lastRefreshFailureAfterMs, 30);
  assert.deepEqual(stall.recovered, { inGrace: 1, late: 1 });
  assert.equal(stall.verdict, 'pass');
});

test('an honest session ended in a strict fault fails it; in an expected failure it is reported, not failed', () => {
  const ended = { kind: 'honest_session_ended' as const, detail: 'session #1: HTTP 401 token_reused' };
  const { faults } = accountFaults(
    timeline({
      violations: [
        { at: 300, ...ended },
        { at: 500, ...ended },
      ],
    }),
  );
  assert.equal(faults[0]?.verdict, 'fail');
  assert.equal(faults[1]?.verdict, 'expected_failure');
  assert.equal(faults[1]?.expectedEnded, 1);
  assert.equal(endIsExpected(timeline({}).faults, 300), false);
  assert.equal(endIsExpected(timeline({}).faults, 500), true);
});

test('an expected failure does not hide other violations, nor does a clean one count as shown', () => {
  const { faults } = accountFaults(timeline({ violations: [{ at: 500, kind: 'stale_replay_accepted', detail: 'x' }] }));
  assert.equal(faults[1]?.verdict, 'fail');
  assert.equal(accountFaults(timeline({})).faults[1]?.verdict, 'not_shown');
});

test('a violation before any fault fails the baseline', () => {
  const { baseline } = accountFaults(timeline({ violations: [{ at: 50, kind: 'race_divergent', detail: 'x' }] }));
  assert.equal(baseline.verdict, 'fail');
});

test('refreshes that fail while only the database is down are violations', () => {
  const { faults } = accountFaults(
    timeline({
      faults: [fault('postgres-down', 100, 200, { refreshesMustSucceed: true })],
      requests: [
        { at: 150, what: 'signin', outcome: 'unavailable' },
        { at: 160, what: 'refresh', outcome: 'unavailable' },
      ],
    }),
  );
  assert.equal(faults[0]?.violations.refresh_failed_without_redis_fault, 1);
  assert.equal(faults[0]?.verdict, 'fail');
});

test('the self-check passes only when the audit reports every session it ended', () => {
  const check = (ended: number) =>
    accountFaults(
      timeline({
        faults: [fault('self-check', 100, 110, { expectation: 'must_fail', mustCatch: 3 })],
        violations: Array.from({ length: ended }, (_, i) => ({
          at: 200 + i,
          kind: 'honest_session_ended' as const,
          detail: 'x',
        })),
      }),
    ).faults[0]?.verdict;
  assert.equal(check(3), 'caught');
  assert.equal(check(2), 'fail');
  assert.equal(check(0), 'fail');
});
