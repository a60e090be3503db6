/**
 * Property-based: random interleavings of an honest client (sometimes racing itself across tabs)
 * and an attacker holding a stolen token. The grace window is long here (no waiting), so what is
 * checked is the generation rule: the current token and its immediate predecessor work, anything
 * older is theft. After detection nothing works; with no attacker nothing ever fails.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import { AuthError } from '../auth/errors';
import type { Redis } from '../redis/client';
import { familyKey } from '../redis/keys';
import { startTestRedis } from '../../test/support/environment';
import { RefreshTokenCodec } from './refresh-token';
import { RotationEngine } from './rotation';

let redis: Redis;
let close: () => Promise<void>;
let engine: RotationEngine;

before(async () => {
  ({ redis, close } = await startTestRedis());
  engine = new RotationEngine(redis, RefreshTokenCodec.create('property-secret-'.repeat(3)), {
    graceSeconds: 60,
    idleSeconds: 3600,
    absoluteSeconds: 7200,
  });
});
after(() => close());

type Op = { kind: 'honest' } | { kind: 'race'; tabs: number } | { kind: 'steal' } | { kind: 'attack' };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.constant({ kind: 'honest' as const }) },
  { weight: 2, arbitrary: fc.integer({ min: 2, max: 6 }).map((tabs) => ({ kind: 'race' as const, tabs })) },
  { weight: 1, arbitrary: fc.constant({ kind: 'steal' as const }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'attack' as const }) },
);

const outcome = (p: Promise<{ refreshToken: string }>) =>
  p.then(
    (r) => ({ ok: true as const, token: r.refreshToken }),
    (e: unknown) => {
      if (e instanceof AuthError) return { ok: false as const, code: e.code };
      throw e;
    },
  );

/** Runs a scenario against Redis and a model of token generations; asserts each step. */
async function runScenario(ops: Op[], withAttacker: boolean): Promise<void> {
  const start = await engine.start({ userId: `prop-${crypto.randomUUID()}`, provider: 'credentials' });
  const generation = new Map<string, number>([[start.refreshToken, 0]]);
  let current = 0;
  let honest = start.refreshToken;
  let stolen: string | undefined;
  let detected = false;

  const present = async (token: string) => {
    const g = generation.get(token)!;
    const result = await outcome(engine.rotate(token));
    if (detected) {
      assert.equal(result.ok, false, 'after detection every token is refused');
      return undefined;
    }
    if (g >= current - 1) {
      assert.equal(result.ok, true, `generation ${g} of current ${current} must be accepted`);
      const next = result.ok ? result.token : '';
      if (!generation.has(next)) generation.set(next, g + 1);
      current = Math.max(current, g + 1);
      return next;
    }
    assert.deepEqual(result, { ok: false, code: 'token_reused' }, `generation ${g} of current ${current} is theft`);
    detected = true;
    return undefined;
  };

  for (const step of ops) {
    if (step.kind === 'honest') honest = (await present(honest)) ?? honest;
    else if (step.kind === 'race') {
      const results = await Promise.all(Array.from({ length: step.tabs }, () => outcome(engine.rotate(honest))));
      if (!detected) {
        const g = generation.get(honest)!;
        if (g >= current - 1) {
          assert.ok(results.every((r) => r.ok), 'racing tabs all succeed');
          const tokens = new Set(results.map((r) => (r.ok ? r.token : '')));
          assert.equal(tokens.size, 1, 'racing tabs all get the identical successor');
          const [next] = tokens as Set<string>;
          if (!generation.has(next!)) generation.set(next!, g + 1);
          current = Math.max(current, g + 1);
          honest = next!;
        } else {
          assert.ok(results.some((r) => !r.ok && r.code === 'token_reused'));
          detected = true;
        }
      } else assert.ok(results.every((r) => !r.ok));
    } else if (withAttacker && step.kind === 'steal') stolen ??= honest;
    else if (withAttacker && step.kind === 'attack' && stolen) stolen = (await present(stolen)) ?? stolen;
  }
  const state = await redis.hget<string>(familyKey(start.familyId), 'st');
  assert.equal(state, detected ? 'revoked' : 'active', 'the family is revoked exactly when reuse was detected');
}

test('with no attacker, no interleaving of tabs ever fails or revokes the family', async () => {
  await fc.assert(fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 25 }), (ops) => runScenario(ops, false)), {
    numRuns: 60,
  });
});

test('an attacker with a stolen token is caught as soon as it falls two generations behind, and locked out after', async () => {
  await fc.assert(fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 30 }), (ops) => runScenario(ops, true)), {
    numRuns: 120,
  });
});
