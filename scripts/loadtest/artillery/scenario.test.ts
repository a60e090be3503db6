/**
 * The Artillery scenario's flows, run as Artillery runs them (the YAML's steps in order, the real processor's
 * hooks, its counters) against the real API, then judged by the Redis-side audit. Artillery itself is installed
 * only on demand (`npm run loadtest:artillery`); this keeps the scenario and the rotation rules in step in
 * every test run. Only the YAML features the scenario uses are interpreted: `function`, `post` with `json`,
 * `headers`, `beforeRequest` and `afterResponse`, and `loop` with `whileTrue`.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { after, before, describe, test } from 'node:test';
import { parse } from 'yaml';
import { startTestEnvironment, uniqueEmail, type TestEnvironment } from '../../../test/support/environment';
import { auditRun } from './audit';

interface Post {
  url: string;
  headers?: Record<string, string>;
  json?: Record<string, unknown>;
  beforeRequest?: string;
  afterResponse?: string;
}
interface Step {
  function?: string;
  post?: Post;
  loop?: Step[];
  whileTrue?: string;
}
interface Scenario {
  name: string;
  flow: Step[];
}
type Next = (error?: Error) => void;
type Hook = (...args: unknown[]) => void;

const scenarioFile = new URL('./refresh-chains.yml', import.meta.url);
const script = parse(readFileSync(scenarioFile, 'utf8')) as {
  config: { variables: Record<string, unknown> };
  scenarios: Scenario[];
};
const processor = createRequire(import.meta.url)('./processor.cjs') as Record<string, Hook>;

/** Artillery's counters, summed over every virtual user. */
const counters: Record<string, number> = {};
const events = {
  emit(type: string, name: string, n: number) {
    if (type === 'counter') counters[name] = (counters[name] ?? 0) + n;
  },
};

const hook = (name: string): Hook => {
  const fn = processor[name];
  if (!fn) throw new Error(`refresh-chains.yml names ${name}, which processor.cjs does not export`);
  return fn;
};
/** Calls a hook that ends with `next(error?)`. */
const callHook = (name: string, ...args: unknown[]) =>
  new Promise<void>((resolve, reject) => hook(name)(...args, ((error) => (error ? reject(error) : resolve())) as Next));
/** `{{ name }}` in strings, from the virtual user's variables, as Artillery templates them. */
const template = <T>(value: T, vars: Record<string, unknown>): T =>
  value === undefined
    ? value
    : (JSON.parse(JSON.stringify(value), (_, v: unknown) =>
        typeof v === 'string' ? v.replace(/\{\{\s*(\w+)\s*\}\}/g, (_m, name: string) => String(vars[name])) : v,
      ) as T);

/** One virtual user: the scenario's steps in order; a hook's error ends it, as in Artillery. */
async function runFlow(steps: Step[], context: { vars: Record<string, unknown> }, baseUrl: string): Promise<void> {
  for (const step of steps) {
    if (step.function) await callHook(step.function, context, events);
    else if (step.post) {
      const req = {
        url: step.post.url,
        headers: template(step.post.headers ?? {}, context.vars),
        json: template(step.post.json, context.vars),
      };
      if (step.post.beforeRequest) await callHook(step.post.beforeRequest, req, context, events);
      const res = await fetch(baseUrl + req.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...req.headers },
        body: JSON.stringify(req.json ?? {}),
      });
      const response = { statusCode: res.status, body: await res.text() };
      if (step.post.afterResponse) await callHook(step.post.afterResponse, req, response, context, events);
    } else if (step.loop && step.whileTrue) {
      const goOn = () => new Promise<boolean>((resolve) => hook(step.whileTrue!)(context, resolve));
      while (await goOn()) await runFlow(step.loop, context, baseUrl);
    } else throw new Error(`a step this test does not interpret: ${JSON.stringify(step)}`);
  }
}

const GRACE_SECONDS = 1;
const REFRESHES = 4;
const HONEST = 3;
const THIEVES = 2;

describe('the Artillery scenario (refresh-chains.yml) against the real API', () => {
  let env: TestEnvironment;
  const runId = `t${Date.now().toString(36)}`;
  before(async () => {
    env = await startTestEnvironment({ REFRESH_GRACE_SECONDS: String(GRACE_SECONDS) });
  });
  after(() => env.close());

  test('honest chains stay signed in, every thief is refused and signs its victim out, and the audit is clean', async () => {
    const email = uniqueEmail('artillery');
    const password = 'artillery-test-password-1';
    assert.equal((await env.post('/api/v1/auth/signup', { email, password })).status, 201);
    const vars = { ...script.config.variables, runId, email, password, graceSeconds: GRACE_SECONDS, refreshes: REFRESHES };
    const scenario = (name: string) => {
      const found = script.scenarios.find((s) => s.name === name);
      assert.ok(found, `refresh-chains.yml has a scenario "${name}"`);
      return found.flow;
    };
    const users = [...Array<string>(HONEST).fill('honest chain'), ...Array<string>(THIEVES).fill('thief')];
    const ended = await Promise.allSettled(users.map((name) => runFlow(scenario(name), { vars: { ...vars } }, env.baseUrl)));
    assert.deepEqual(
      ended.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason)),
      [],
      'no virtual user stopped with an error',
    );

    assert.equal(counters['audit.rotations'], HONEST * REFRESHES + THIEVES * 2, 'every rotation answered');
    assert.equal(counters['audit.replays_refused'], THIEVES, 'every stale replay refused');
    assert.equal(counters['audit.victims_refused'], THIEVES, "every thief's victim signed out");
    const audit = await auditRun(
      counters,
      { kind: 'rest', url: env.config.UPSTASH_REDIS_REST_URL, token: env.config.UPSTASH_REDIS_REST_TOKEN },
      runId,
    );
    assert.deepEqual(audit.violations, {
      honestWronglyRevoked: 0,
      staleReplaysAcceptedAfterGrace: 0,
      attackedFamiliesNotRevoked: 0,
      badSuccessBodies: 0,
      rotationMismatch: 0,
    });
    assert.deepEqual(audit.families, { total: HONEST + THIEVES, honest: HONEST, honestNotActive: 0, revoked: THIEVES });
    assert.equal(audit.rotations.redis, audit.rotations.observed);
  });
});
