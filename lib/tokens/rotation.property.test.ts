/**
 * Property-based: random interleavings of an honest client (sometimes racing itself across tabs)
 * and an attacker holding a stolen token. The grace window is long here (no waiting), so what is
 * checked is the generation rule: the current token and its immediate predecessor work, anything
 * older is theft. After detection nothing works; with no attacker nothing ever fails.
 *
 * The second half adds lost responses and retries after the window. "After the window" is a second
 * engine on the same Redis whose grace window has always passed (the window is an argument of each
 * call, not state), so no test waits for a clock.
 *
 * The third adds lost writes: a failover to a replica, or a restart from a snapshot, puts the family back
 * as it was at the last sync (the hash is saved at each sync and written back at a failover). A lost
 * write never crosses a detected reuse here: a revocation lost in a failover is the documented cost that
 * REDIS_WAIT_REPLICAS removes, not part of the rotation rule.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import { AuthError } from '../auth/errors';
import type { Redis } from '../redis/client';
import { familyKey } from '../redis/keys';
import { startTestRedis } from '../../test/support/environment';
import { AHEAD_LIMIT, RefreshTokenCodec } from './refresh-token';
import { RotationEngine } from './rotation';

let redis: Redis;
let close: () => Promise<void>;
let engine: RotationEngine;
/** The same families seen after the grace window: every presentation comes later than it. */
let lateEngine: RotationEngine;

before(async () => {
  ({ redis, close } = await startTestRedis());
  const codec = RefreshTokenCodec.create('property-secret-'.repeat(3));
  engine = new RotationEngine(redis, codec, { graceSeconds: 60, idleSeconds: 3600, absoluteSeconds: 7200 });
  lateEngine = new RotationEngine(redis, codec, { graceSeconds: -1, idleSeconds: 3600, absoluteSeconds: 7200 });
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
          assert.ok(
            results.every((r) => r.ok),
            'racing tabs all succeed',
          );
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
  await fc.assert(
    fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 25 }), (ops) => runScenario(ops, false)),
    {
      numRuns: 60,
    },
  );
});

test('an attacker with a stolen token is caught as soon as it falls two generations behind, and locked out after', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 30 }), (ops) => runScenario(ops, true)),
    {
      numRuns: 120,
    },
  );
});

/**
 * Lost responses and late retries. `late`: presented after the grace window; `lost`: the server
 * answered but the client never got it, so it keeps (and later retries) the token it sent.
 */
type LossyOp =
  | { kind: 'honest'; late: boolean; lost: boolean }
  | { kind: 'race'; tabs: number }
  | { kind: 'steal' }
  | { kind: 'attack'; late: boolean }
  /** The replica (or the snapshot) has everything so far. */
  | { kind: 'sync' }
  /** The store loses every write since the last sync. */
  | { kind: 'failover' };

const lossyOp = (racing: boolean, failovers = false): fc.Arbitrary<LossyOp> =>
  fc.oneof(
    { weight: 6, arbitrary: fc.record({ kind: fc.constant('honest' as const), late: fc.boolean(), lost: fc.boolean() }) },
    { weight: racing ? 1 : 0, arbitrary: fc.integer({ min: 2, max: 4 }).map((tabs) => ({ kind: 'race' as const, tabs })) },
    { weight: 1, arbitrary: fc.constant({ kind: 'steal' as const }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('attack' as const), late: fc.boolean() }) },
    { weight: failovers ? 2 : 0, arbitrary: fc.constant({ kind: 'sync' as const }) },
    { weight: failovers ? 2 : 0, arbitrary: fc.constant({ kind: 'failover' as const }) },
  );

/**
 * The rule as a model: the current token rotates; a token ahead of it by at most AHEAD_LIMIT (its
 * rotations were lost) continues the chain; the predecessor gets the current token back (a replay inside
 * the window; after it a recovery, unless the last recovery was at the position just before); anything
 * else is reuse and revokes the family.
 */
class ChainModel {
  current = 0;
  lastRecovery: number | undefined;
  detected = false;

  /** Whether a presentation of generation g after the window would still be accepted. */
  acceptsLate(g: number): boolean {
    return (
      !this.detected &&
      (g === this.current ||
        (g > this.current && g - this.current <= AHEAD_LIMIT) ||
        (g === this.current - 1 && this.lastRecovery !== this.current - 1))
    );
  }

  /** The model's state, to go back to when the store loses writes. */
  save(): Pick<ChainModel, 'current' | 'lastRecovery' | 'detected'> {
    return { current: this.current, lastRecovery: this.lastRecovery, detected: this.detected };
  }

  /** What presenting generation g must do, and the model's next state. */
  present(g: number, late: boolean): 'rotated' | 'resumed' | 'replayed' | 'recovered' | 'reused' | 'refused' {
    if (this.detected) return 'refused';
    if (g === this.current) {
      this.current += 1;
      return 'rotated';
    }
    if (g > this.current && g - this.current <= AHEAD_LIMIT) {
      this.current = g + 1;
      return 'resumed';
    }
    if (g === this.current - 1 && !late) return 'replayed';
    if (g === this.current - 1 && this.lastRecovery !== this.current - 1) {
      this.lastRecovery = this.current;
      return 'recovered';
    }
    this.detected = true;
    return 'reused';
  }
}

interface LossyResult {
  honestLogouts: number;
  /** Rotations made while the other party still held a token the server would accept after the window. */
  sharedRotations: number;
}

/** Runs a scenario with lost responses and late retries against Redis and ChainModel; asserts each step. */
async function runLossyScenario(ops: LossyOp[], options: { attacker: boolean; avoidDoubleLoss: boolean }): Promise<LossyResult> {
  const start = await engine.start({ userId: `prop-${crypto.randomUUID()}`, provider: 'credentials' });
  const key = familyKey(start.familyId);
  /**
   * The store and the model as of the last sync: what a failover goes back to. Shared rotations are
   * counted on the chain the store keeps: a rotation lost in a failover did not happen.
   */
  const saveStore = async () => ({
    hash: (await redis.hgetall(key)) as unknown as string[],
    model: model.save(),
    sharedRotations: result.sharedRotations,
  });
  let synced: Awaited<ReturnType<typeof saveStore>> | undefined;
  const generation = new Map<string, number>([[start.refreshToken, 0]]);
  const model = new ChainModel();
  const held = { honest: start.refreshToken, attacker: undefined as string | undefined };
  const result: LossyResult = { honestLogouts: 0, sharedRotations: 0 };
  // For spotting the documented double loss: where the honest client last recovered, and last lost a rotation.
  const honestLoss = { recoveredAt: -1, lostRotationFrom: -1 };

  const present = async (who: 'honest' | 'attacker', token: string, late: boolean) => {
    const g = generation.get(token)!;
    const other = who === 'honest' ? held.attacker : held.honest;
    const otherCanFollow = other !== undefined && model.acceptsLate(generation.get(other)!);
    const expected = model.present(g, late);
    const outcome = await (late ? lateEngine : engine).rotate(token).then(
      (r) => ({ status: r.outcome as string, token: r.refreshToken }),
      (e: unknown) => {
        if (e instanceof AuthError) return { status: e.code as string, token: undefined };
        throw e;
      },
    );
    if (expected === 'refused') assert.ok(!outcome.token, 'after detection every token is refused');
    else if (expected === 'reused') assert.equal(outcome.status, 'token_reused', `generation ${g} of current ${model.current}`);
    else assert.equal(outcome.status, expected, `generation ${g} of current ${model.current}, late ${late}`);
    if (!outcome.token) {
      if (who === 'honest') result.honestLogouts += 1;
      return undefined;
    }
    // A rotation that hands out the very token the other side already holds gives it nothing new: after a
    // failover lost the thief's rotation, the owner's next one mints that same successor again (it is
    // derived), which is the lost rotation happening twice, not one more the thief can follow.
    if ((expected === 'rotated' || expected === 'resumed') && otherCanFollow && outcome.token !== other) {
      result.sharedRotations += 1;
    }
    if (who === 'honest' && expected === 'recovered') honestLoss.recoveredAt = model.current;
    if (!generation.has(outcome.token)) generation.set(outcome.token, g + 1);
    assert.equal(generation.get(outcome.token), model.current, 'every success hands out the current token');
    return outcome.token;
  };

  synced = await saveStore();
  for (const step of ops) {
    if (model.detected && !options.attacker) break;
    if (step.kind === 'sync' || (step.kind === 'failover' && !canLose(synced.model))) synced = await saveStore();
    else if (step.kind === 'failover') {
      // Everything since the last sync is lost: the family hash and the model go back to it.
      const flat = synced.hash;
      await redis.del(key);
      await redis.hset(key, Object.fromEntries(flat.flatMap((v, i) => (i % 2 === 0 ? [[v, flat[i + 1]]] : []))));
      await redis.expire(key, 3600);
      Object.assign(model, synced.model);
      result.sharedRotations = synced.sharedRotations;
    } else if (step.kind === 'honest') {
      const g = generation.get(held.honest)!;
      // The one case the rule gives up on (docs/security.md): a second lost response in a row, retried
      // after the window. A client that avoids it retries inside the window instead.
      const doubleLoss = honestLoss.lostRotationFrom === g && honestLoss.recoveredAt === g;
      const late = step.late && !(options.avoidDoubleLoss && doubleLoss);
      const rotates = g === model.current;
      const next = await present('honest', held.honest, late);
      if (next && !step.lost) held.honest = next;
      if (next && step.lost && rotates) honestLoss.lostRotationFrom = g;
    } else if (step.kind === 'race') {
      if (generation.get(held.honest)! > model.current) continue; // a race of tabs is about the grace window
      const tokens = await Promise.all(Array.from({ length: step.tabs }, () => outcome(engine.rotate(held.honest))));
      const g = generation.get(held.honest)!;
      const expected = model.present(g, false);
      if (expected === 'rotated' || expected === 'replayed') {
        assert.ok(
          tokens.every((t) => t.ok),
          'racing tabs all succeed',
        );
        const successors = new Set(tokens.map((t) => (t.ok ? t.token : '')));
        assert.equal(successors.size, 1, 'racing tabs all get the identical successor');
        const [next] = successors as Set<string>;
        if (!generation.has(next!)) generation.set(next!, g + 1);
        held.honest = next!;
      } else {
        assert.ok(tokens.every((t) => !t.ok));
        result.honestLogouts += 1;
      }
    } else if (options.attacker && step.kind === 'steal') held.attacker ??= held.honest;
    else if (options.attacker && step.kind === 'attack' && held.attacker)
      held.attacker = (await present('attacker', held.attacker, step.late)) ?? held.attacker;
  }
  const state = await redis.hget<string>(familyKey(start.familyId), 'st');
  assert.equal(state, model.detected ? 'revoked' : 'active', 'the family is revoked exactly when reuse was detected');
  return result;

  /** A failover may lose what came after the sync: at most AHEAD_LIMIT rotations, and no detected reuse. */
  function canLose(saved: { current: number; detected: boolean }): boolean {
    return saved.detected === model.detected && model.current - saved.current <= AHEAD_LIMIT;
  }
}

test('lost responses, late retries and racing tabs with no attacker: 0 honest logouts', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(lossyOp(true), { minLength: 1, maxLength: 30 }), async (ops) => {
      const { honestLogouts } = await runLossyScenario(ops, { attacker: false, avoidDoubleLoss: true });
      assert.equal(honestLogouts, 0);
    }),
    { numRuns: 80 },
  );
});

test('two lost responses in a row, both retried after the window, are the one case that signs an honest client out', async () => {
  const ops: LossyOp[] = [
    { kind: 'honest', late: false, lost: true },
    { kind: 'honest', late: true, lost: false },
    { kind: 'honest', late: false, lost: true },
    { kind: 'honest', late: true, lost: false },
  ];
  assert.equal((await runLossyScenario(ops, { attacker: false, avoidDoubleLoss: false })).honestLogouts, 1);
});

test('a thief among lost responses and late retries is caught within two rotations of the chain being shared', async () => {
  // After the window only: inside it the grace replay is a separate, time-bounded trade-off.
  const lateOnly = lossyOp(false).map((o): LossyOp => (o.kind === 'honest' || o.kind === 'attack' ? { ...o, late: true } : o));
  await fc.assert(
    fc.asyncProperty(fc.array(lateOnly, { minLength: 1, maxLength: 30 }), async (ops) => {
      const { sharedRotations } = await runLossyScenario(ops, { attacker: true, avoidDoubleLoss: true });
      assert.ok(sharedRotations <= 2, `${sharedRotations} rotations while both sides could still follow the chain`);
    }),
    { numRuns: 150 },
  );
});

test('lost writes (failovers, restarts) among lost responses, late retries and racing tabs, no attacker: 0 honest logouts', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(lossyOp(true, true), { minLength: 1, maxLength: 30 }), async (ops) => {
      const { honestLogouts } = await runLossyScenario(ops, { attacker: false, avoidDoubleLoss: true });
      assert.equal(honestLogouts, 0);
    }),
    { numRuns: 80 },
  );
});

test('with lost writes too, a thief is caught within two rotations of the chain being shared', async () => {
  const lateOnly = lossyOp(false, true).map((o): LossyOp =>
    o.kind === 'honest' || o.kind === 'attack' ? { ...o, late: true } : o,
  );
  await fc.assert(
    fc.asyncProperty(fc.array(lateOnly, { minLength: 1, maxLength: 30 }), async (ops) => {
      const { sharedRotations } = await runLossyScenario(ops, { attacker: true, avoidDoubleLoss: true });
      assert.ok(sharedRotations <= 2, `${sharedRotations} rotations while both sides could still follow the chain`);
    }),
    { numRuns: 150 },
  );
});

test("a thief whose rotation a failover lost is caught within two rotations of the owner's next one", async () => {
  // Found by the property above (seed 158508766): steal, the thief rotates after the window, a failover
  // loses that rotation, and the owner goes on. The owner's first rotation re-mints the thief's token.
  const ops: LossyOp[] = [
    { kind: 'steal' },
    { kind: 'attack', late: true },
    { kind: 'failover' },
    { kind: 'honest', late: true, lost: false },
    { kind: 'honest', late: true, lost: false },
    { kind: 'honest', late: true, lost: false },
  ];
  const { sharedRotations } = await runLossyScenario(ops, { attacker: true, avoidDoubleLoss: true });
  assert.ok(sharedRotations <= 2, `${sharedRotations} rotations while both sides could still follow the chain`);
});
