import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inBackground, settled, viaWaitUntil } from './deferred';

/** The JSON lines logged at warn or error (console.error) while `run` runs. */
async function errorsLogged(run: () => Promise<void>): Promise<Record<string, unknown>[]> {
  const original = console.error;
  const lines: Record<string, unknown>[] = [];
  console.error = (line: unknown) => void lines.push(JSON.parse(String(line)) as Record<string, unknown>);
  try {
    await run();
  } finally {
    console.error = original;
  }
  return lines;
}

test('inBackground returns before the task runs on, and settled() waits for it and for what it starts', async () => {
  const order: string[] = [];
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  inBackground(async () => {
    order.push('task started');
    await gate;
    inBackground(async () => void order.push('second task'));
    order.push('task done');
  });
  order.push('caller answered');
  const waiting = settled().then(() => order.push('settled'));
  release();
  await waiting;
  // A task starts at once, up to its first await: the caller goes on while it waits.
  assert.deepEqual(order, ['task started', 'caller answered', 'second task', 'task done', 'settled']);
});

test('a failing deferred task is logged by message, never thrown into anyone', async () => {
  const lines = await errorsLogged(async () => {
    inBackground(async () => {
      throw new Error('relay answered 500');
    });
    await settled();
  });
  assert.deepEqual(
    lines.map((line) => [line.event, line.error]),
    [['deferred.failed', 'relay answered 500']],
  );
});

test('viaWaitUntil hands the platform a promise that settles when the task has, even when it fails', async () => {
  const handed: Promise<unknown>[] = [];
  const defer = viaWaitUntil((promise) => handed.push(promise));
  const order: string[] = [];
  const lines = await errorsLogged(async () => {
    defer(async () => void order.push('ran'));
    defer(async () => {
      throw new Error('no database');
    });
    assert.equal(handed.length, 2);
    await Promise.all(handed);
  });
  assert.deepEqual(order, ['ran']);
  assert.deepEqual(
    lines.map((line) => line.event),
    ['deferred.failed'],
  );
});
