/**
 * The API on a store that loses its last writes, with real parts started here: a redis-server primary
 * and its replica (real asynchronous replication), the bridge in front of the primary, then a failover
 * to the replica; and a redis-server restarted from an older RDB snapshot. In each case the honest
 * client's newest token refreshes, no security event is recorded, an older token is still refused and a
 * thief is still caught. Also: reads from a replica that lags never end a session, and a sign-in or a
 * sign-out that waited for a replica survives a failover (docs/security.md, "When the store loses writes").
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestEnvironment, uniqueEmail, type TestEnvironment } from '../../test/support/environment';
import { startRedisPair, startRedisProcess, type RedisPair, type RedisProcess } from '../../test/support/redis-pair';

const PASSWORD = 'correct horse battery';

async function signUpAndIn(env: TestEnvironment, email = uniqueEmail('failover')) {
  assert.equal((await env.post('/api/v1/auth/signup', { email, password: PASSWORD })).status, 201);
  const res = await env.post('/api/v1/auth/signin', { email, password: PASSWORD });
  assert.equal(res.status, 200);
  return { email, body: (await res.json()) as Record<string, any> };
}

/** The user's refresh-token reuse events, read with a valid access token. */
async function reuseEvents(env: TestEnvironment, accessToken: string) {
  const res = await fetch(`${env.baseUrl}/api/v1/auth/security-events`, { headers: { authorization: `Bearer ${accessToken}` } });
  assert.equal(res.status, 200);
  const { events } = (await res.json()) as { events: Array<{ type: string }> };
  return events.filter((e) => e.type === 'refresh_token_reuse');
}

/** GET /auth/sessions with an access token: 200 while the session counts as active. */
const sessionsStatus = async (env: TestEnvironment, accessToken: string) =>
  (await fetch(`${env.baseUrl}/api/v1/auth/sessions`, { headers: { authorization: `Bearer ${accessToken}` } })).status;

describe('a failover to a replica that missed the last rotation', () => {
  let pair: RedisPair;
  let env: TestEnvironment;
  before(async () => {
    pair = await startRedisPair();
    env = await startTestEnvironment({}, { redisUrl: pair.primary.url });
  });
  after(async () => {
    await env.close();
    await pair.stop();
  });

  test('the newest token refreshes (no security event), an older one is refused, a thief is caught', async () => {
    const { email, body } = await signUpAndIn(env);
    const t0 = body.refresh_token as string;
    const t1 = (await env.refresh(t0)).body.refresh_token as string;
    // A second device whose last rotation the replica has: it must simply go on.
    const other = await signUpAndIn(env, email).catch(async () => {
      const res = await env.post('/api/v1/auth/signin', { email, password: PASSWORD });
      return { body: (await res.json()) as Record<string, any> };
    });
    await pair.synced();

    // The link breaks; T1 → T2 is acknowledged by the primary only; the primary dies; the replica is
    // promoted and the endpoint now points at it.
    await pair.breakLink();
    const lost = await env.refresh(t1);
    assert.equal(lost.status, 200);
    const t2 = lost.body.refresh_token as string;
    await pair.primary.crash();
    await env.useRedis(pair.replica.url);

    const resumed = await env.refresh(t2);
    assert.equal(resumed.status, 200, JSON.stringify(resumed.body));
    const t3 = resumed.body.refresh_token as string;
    assert.equal((await reuseEvents(env, resumed.body.access_token)).length, 0, 'no security event');
    assert.equal((await env.refresh(other.body.refresh_token)).status, 200, 'the other device goes on');

    // The honest client goes on; the token two rotations old (what a thief copied) is caught, and the
    // session ends for everyone holding it.
    const t4 = await env.refresh(t3);
    assert.equal(t4.status, 200);
    const thief = await env.refresh(t1);
    assert.equal(thief.status, 401);
    assert.equal(thief.body.error.code, 'token_reused');
    assert.equal((await env.refresh(t4.body.refresh_token)).body.error?.code, 'token_revoked');
    const res = await env.post('/api/v1/auth/signin', { email, password: PASSWORD });
    assert.equal((await reuseEvents(env, ((await res.json()) as any).access_token)).length, 1);
  });
});

// An RDB snapshot, not AOF `everysec`: kill -9 of the process alone loses nothing AOF has written, since the
// kernel still holds it (only a machine crash loses the unsynced second), so a snapshot is what a test can lose.
describe('a restart that loses the writes after the last snapshot', () => {
  let redis: RedisProcess;
  let env: TestEnvironment;
  before(async () => {
    redis = await startRedisProcess();
    env = await startTestEnvironment({}, { redisUrl: redis.url });
  });
  after(async () => {
    await env.close();
    await redis.stop();
  });

  test('the newest token refreshes after the restart, an older one is still refused as reuse', async () => {
    const { body } = await signUpAndIn(env);
    const t0 = body.refresh_token as string;
    const t1 = (await env.refresh(t0)).body.refresh_token as string;
    await snapshot(redis);
    const t2 = (await env.refresh(t1)).body.refresh_token as string;
    const t3 = (await env.refresh(t2)).body.refresh_token as string;
    // Killed (no save at shutdown) and started again from the snapshot: T1 is current again.
    await redis.crash();
    await redis.restart();
    await env.useRedis(redis.url);

    const resumed = await env.refresh(t3);
    assert.equal(resumed.status, 200, JSON.stringify(resumed.body));
    assert.equal((await reuseEvents(env, resumed.body.access_token)).length, 0, 'no security event');
    const older = await env.refresh(t1);
    assert.equal(older.status, 401);
    assert.equal(older.body.error.code, 'token_reused');
  });
});

/** BGSAVE, and wait until it has been written. */
async function snapshot(redis: RedisProcess): Promise<void> {
  const before = Number(await redis.admin.lastsave());
  await redis.admin.bgsave();
  for (;;) {
    const persistence = await redis.admin.info('persistence');
    if (/rdb_bgsave_in_progress:0/.test(persistence) && /rdb_last_bgsave_status:ok/.test(persistence)) {
      if (Number(await redis.admin.lastsave()) >= before) return;
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('sign-ins and sign-outs that wait for a replica', () => {
  let pair: RedisPair;
  let env: TestEnvironment;
  before(async () => {
    pair = await startRedisPair();
    env = await startTestEnvironment({ REDIS_WAIT_REPLICAS: '1', REDIS_WAIT_TIMEOUT_MS: '1000' }, { redisUrl: pair.primary.url });
  });
  after(async () => {
    await env.close();
    await pair.stop();
  });

  test('a sign-in and a sign-out wait for the replica (a refresh never does); a failover right after keeps both', async () => {
    const { email, body } = await signUpAndIn(env);
    const from = env.commands.length;
    const rotated = await env.refresh(body.refresh_token);
    // (The first refresh of the process also loads the script.)
    const refreshNames = env.commands.slice(from).map(([name]) => name);
    assert.deepEqual(
      refreshNames.filter((name) => name !== 'SCRIPT'),
      ['EVALSHA'],
      'a refresh is one EVALSHA, no WAIT',
    );
    const at = env.commands.length;
    assert.equal((await env.post('/api/v1/auth/signout', { refresh_token: rotated.body.refresh_token })).status, 204);
    const names = env.commands.slice(at).map(([name]) => name);
    assert.ok(names.indexOf('WAIT') > names.indexOf('EVALSHA'), `WAIT after the revoke script: ${names.join(' ')}`);
    // A new session on another device, answered once the replica had its family.
    const signInAt = env.commands.length;
    const signin = await env.post('/api/v1/auth/signin', { email, password: PASSWORD });
    assert.equal(signin.status, 200);
    const fresh = (await signin.json()) as Record<string, any>;
    const signInNames = env.commands.slice(signInAt).map(([name]) => name);
    assert.ok(
      signInNames.lastIndexOf('WAIT') > signInNames.lastIndexOf('HSET'),
      `WAIT after the new family: ${signInNames.join(' ')}`,
    );
    // Both were answered after the replica had them: break the link at once, fail over.
    await pair.breakLink();
    await pair.primary.crash();
    await env.useRedis(pair.replica.url);
    const after = await env.refresh(rotated.body.refresh_token);
    assert.equal(after.body.error?.code, 'token_revoked', 'the sign-out survived the failover');
    assert.equal(await sessionsStatus(env, rotated.body.access_token), 401, "the replica's tombstone says revoked");
    const freshAfter = await env.refresh(fresh.refresh_token);
    assert.equal(freshAfter.status, 200, `the sign-in survived the failover: ${JSON.stringify(freshAfter.body)}`);
  });
});

describe('reads from a replica that lags (the bridge in read-replica mode, as Upstash Global)', () => {
  let pair: RedisPair;
  let env: TestEnvironment;
  before(async () => {
    pair = await startRedisPair();
    env = await startTestEnvironment({}, { redisUrl: pair.primary.url, readReplicaUrl: pair.replica.url });
  });
  after(async () => {
    await env.close();
    await pair.stop();
  });

  test('a session the replica has not seen yet is not refused; once the replica has its sign-out, it is', async () => {
    // The replica lags: the sign-in reaches the primary only, and the access-token check reads the replica.
    await pair.breakLink();
    const { body } = await signUpAndIn(env);
    assert.equal(await pair.replica.admin.exists(`auth:{fam:${body.session_id}}`), 0, 'the replica has not seen it');
    const hgets = await replicaCalls(pair, 'hget');
    assert.equal(await sessionsStatus(env, body.access_token), 200, 'just signed in, and still signed in');
    assert.ok((await replicaCalls(pair, 'hget')) > hgets, 'the check was read from the replica');
    // The replica catches up, then the session is signed out: its tombstone on the replica refuses the token.
    await pair.relink();
    assert.equal((await env.post('/api/v1/auth/signout', { refresh_token: body.refresh_token })).status, 204);
    await pair.synced();
    assert.equal(await sessionsStatus(env, body.access_token), 401);
  });
});

/** How many times the replica has run a command (INFO commandstats). */
async function replicaCalls(pair: RedisPair, command: string): Promise<number> {
  const stats = await pair.replica.admin.info('commandstats');
  return Number(new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(stats)?.[1] ?? 0);
}
