import assert from 'node:assert/strict';
import { test } from 'node:test';
import { logEvent } from './log';

/** The lines logEvent writes to stdout during `run`, parsed (Node writes them once the event loop turns). */
async function captured(run: () => void): Promise<Record<string, unknown>[]> {
  const write = process.stdout.write;
  let text = '';
  // The test runner reports through stdout too: only our JSON lines are kept, the rest passes through.
  process.stdout.write = ((chunk: unknown, ...rest: unknown[]) => {
    if (typeof chunk === 'string' && chunk.startsWith('{"ts":')) {
      text += chunk;
      return true;
    }
    return (write as (...args: unknown[]) => boolean).call(process.stdout, chunk, ...rest);
  }) as typeof process.stdout.write;
  try {
    run();
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.stdout.write = write;
  }
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

test('a field named like a secret is dropped from every line, not only the first one that names it', async () => {
  const lines = await captured(() => {
    for (let i = 0; i < 3; i++) {
      logEvent('info', 'test.event', { userId: `u${i}`, refreshToken: 'rt1.secret', passwordHash: 'h', skipped: undefined });
    }
  });
  assert.equal(lines.length, 3);
  lines.forEach((line, i) => {
    assert.deepEqual(Object.keys(line).sort(), ['event', 'level', 'ts', 'userId']);
    assert.equal(line.userId, `u${i}`);
  });
});

test('each line carries an ISO 8601 time that does not run backwards', async () => {
  const lines = await captured(() => {
    for (let i = 0; i < 200; i++) logEvent('info', 'test.tick');
  });
  const times = lines.map((line) => line.ts as string);
  for (const ts of times) assert.equal(new Date(ts).toISOString(), ts);
  assert.deepEqual([...times].sort(), times);
});
