/**
 * @module What each operation costs in Redis, counted through the bridge (not estimated): HTTP requests,
 * commands and bytes on the wire per sign-in, refresh, device list and sign-out, and the memory one
 * session holds; then what that means for one Upstash database at the default token lifetimes.
 * Run: `npx tsx scripts/redis-costs.ts` (needs the test PostgreSQL of `npm test` and redis at REDIS_URL).
 */
import { Redis as Node } from 'ioredis';
import { familyKey, userSessionsKey } from '../lib/redis/keys';
import { FAMILY_FIELDS } from '../lib/tokens/family';
import { startTestEnvironment, uniqueEmail, type TestEnvironment } from '../test/support/environment';

const PASSWORD = 'correct horse battery';
/** Upstash's per-database command rate: plans up to 50 GB, and larger plans. */
const COMMANDS_PER_SECOND = { upTo50GB: 10_000, larger: 16_000 };

interface Cost {
  requests: number;
  commands: string[];
  sent: number;
  received: number;
}

/** Runs `op` and returns what it cost through the bridge. */
async function measure(env: TestEnvironment, op: () => Promise<unknown>): Promise<Cost> {
  const from = env.requests.length;
  await op();
  const requests = env.requests.slice(from);
  return {
    requests: requests.length,
    commands: requests.flatMap((r) => r.commands.map((c) => c[0])),
    sent: requests.reduce((sum, r) => sum + r.requestBytes, 0),
    received: requests.reduce((sum, r) => sum + r.responseBytes, 0),
  };
}

async function json(res: Response, status: number): Promise<Record<string, any>> {
  if (res.status !== status) throw new Error(`${res.url}: expected ${status}, got ${res.status} ${await res.text()}`);
  return res.status === 204 ? {} : ((await res.json()) as Record<string, any>);
}

async function main(): Promise<void> {
  // The test environment keeps the default token lifetimes; it only loosens the rate limits.
  process.env.LOG_LEVEL ??= 'warn';
  const env = await startTestEnvironment();
  const defaults = env.config;
  const node = new Node(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  try {
    const email = uniqueEmail('costs');
    await json(await env.post('/api/v1/auth/signup', { email, password: PASSWORD }), 201);
    const signIn = () => env.post('/api/v1/auth/signin', { email, password: PASSWORD }).then((r) => json(r, 200));
    // One round of everything first: the scripts get cached (EVALSHA hits from then on), as in a warm deployment.
    let session = await signIn();
    let refreshToken = (await json(await env.post('/api/v1/auth/refresh-token', { refresh_token: session.refresh_token }), 200))
      .refresh_token;
    const list = () =>
      fetch(`${env.baseUrl}/api/v1/auth/sessions`, { headers: { authorization: `Bearer ${session.access_token}` } }).then((r) =>
        json(r, 200),
      );
    await list();
    const other = await signIn();
    await json(await env.post('/api/v1/auth/signout', { refresh_token: other.refresh_token }), 204);

    const costs: Array<[string, Cost]> = [];
    costs.push(['sign-in (password)', await measure(env, async () => (session = await signIn()))]);
    refreshToken = session.refresh_token;
    costs.push([
      'refresh',
      await measure(env, async () => {
        refreshToken = (await json(await env.post('/api/v1/auth/refresh-token', { refresh_token: refreshToken }), 200))
          .refresh_token;
      }),
    ]);
    costs.push(['device list (2 devices)', await measure(env, list)]);
    costs.push([
      'sign-out',
      await measure(env, async () => json(await env.post('/api/v1/auth/signout', { refresh_token: refreshToken }), 204)),
    ]);

    console.log('operation                 | HTTP requests | commands | bytes sent | bytes received | commands run');
    console.log('--------------------------|---------------|----------|------------|----------------|-------------');
    for (const [name, c] of costs) {
      const counts = Object.entries(c.commands.reduce<Record<string, number>>((m, n) => ((m[n] = (m[n] ?? 0) + 1), m), {}));
      console.log(
        `${name.padEnd(25)} | ${String(c.requests).padStart(13)} | ${String(c.commands.length).padStart(8)} | ${String(c.sent).padStart(10)} | ${String(c.received).padStart(14)} | ${counts.map(([n, k]) => `${k}× ${n}`).join(', ')}`,
      );
    }

    // Memory of one session: its family hash (after two refreshes, so every field is there), plus what one
    // more member adds to the user's session index.
    const fresh = await signIn();
    let token = fresh.refresh_token as string;
    for (let i = 0; i < 2; i++)
      token = (await json(await env.post('/api/v1/auth/refresh-token', { refresh_token: token }), 200)).refresh_token;
    const familyBytes = Number(await node.call('MEMORY', 'USAGE', familyKey(fresh.session_id), 'SAMPLES', '0'));
    const userId = (await node.hget(familyKey(fresh.session_id), FAMILY_FIELDS.userId)) as string;
    const index = userSessionsKey(userId);
    const before = Number(await node.call('MEMORY', 'USAGE', index, 'SAMPLES', '0'));
    const members = await node.zcard(index);
    for (let i = 0; i < 8; i++) await signIn();
    const after = Number(await node.call('MEMORY', 'USAGE', index, 'SAMPLES', '0'));
    const indexBytes = Math.round((after - before) / ((await node.zcard(index)) - members));
    const perSession = familyBytes + indexBytes;
    console.log(
      `\nmemory per session: ${familyBytes} B family hash + ${indexBytes} B in the user's session index = ${perSession} B (MEMORY USAGE)`,
    );

    const refreshCost = costs.find(([n]) => n === 'refresh')![1].commands.length;
    const accessTtl = defaults.ACCESS_TOKEN_TTL_SECONDS;
    console.log(
      `\nat the defaults (access token ${accessTtl} s, idle ${defaults.SESSION_IDLE_TTL_SECONDS} s, absolute ${defaults.SESSION_ABSOLUTE_TTL_SECONDS} s):`,
    );
    for (const [plan, rate] of Object.entries(COMMANDS_PER_SECOND)) {
      const sessions = Math.floor((rate * accessTtl) / refreshCost);
      console.log(
        `  ${rate} commands/s (${plan}): ${sessions.toLocaleString('en')} sessions refreshing every ${accessTtl} s` +
          ` (${refreshCost} command per refresh, nothing else); they hold ${((sessions * perSession) / 1e9).toFixed(1)} GB`,
      );
    }
    for (const gb of [1, 10, 50]) {
      console.log(
        `  ${gb} GB of data: ${Math.floor((gb * 1e9) / perSession).toLocaleString('en')} sessions stored (active or idle), keys only, no overhead for rate limits`,
      );
    }
  } finally {
    node.disconnect();
    await env.close();
  }
}

await main();
