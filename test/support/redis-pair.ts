/**
 * @module Real redis-server processes for fault injection, started and stopped by the tests themselves:
 * a primary with a replica fed by real (asynchronous) replication, and single servers with persistence
 * that can be killed and restarted from what they had written to disk.
 *
 * How faults are made (docs/reliability.md, fault 1): `kill -STOP` on a replica does not
 * cut replication (its socket buffer still takes the primary's bytes), so the link is broken with
 * `REPLICAOF NO ONE` on the replica before the write that must be lost; then the primary is killed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis as IORedis } from 'ioredis';
import { freePort } from './processes';

/** One redis-server process of a test. */
export interface RedisProcess {
  port: number;
  url: string;
  /** A plain client for administration (INFO, REPLICAOF, BGSAVE, ...). */
  admin: IORedis;
  /** Ends the process with SIGKILL: no shutdown save, as a crash. */
  crash(): Promise<void>;
  /** Starts the process again on the same port and directory, loading whatever it had persisted. */
  restart(): Promise<void>;
  /** Stops it for good (SIGKILL) and forgets its directory's files. */
  stop(): Promise<void>;
}

/** Options of one server: extra redis-server arguments (persistence, `--replicaof`). */
export interface RedisProcessOptions {
  args?: string[];
}

const REDIS_SERVER = process.env.REDIS_SERVER_BIN ?? 'redis-server';

// A test that fails or is interrupted must not leave servers behind: they are children of this process.
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** Starts a redis-server on a free port, in a temp directory of its own; resolves once it answers PING. */
export async function startRedisProcess(options: RedisProcessOptions = {}): Promise<RedisProcess> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), `redis-${port}-`));
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  let admin: IORedis | undefined;

  const launch = async () => {
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'];
    const spawned = spawn(REDIS_SERVER, [...args, ...(options.args ?? [])], { stdio: 'ignore' });
    child = spawned;
    live.add(spawned);
    spawned.once('exit', () => live.delete(spawned));
    const exited = new Promise<never>((_, reject) =>
      child!.once('exit', (code) => reject(new Error(`redis-server on ${port} exited (${code})`))),
    );
    exited.catch(() => {});
    // Until it listens (connection refused) and has loaded its dataset (-LOADING), try again.
    for (;;) {
      const probe = new IORedis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      probe.on('error', () => {});
      const reply = await Promise.race([probe.connect().then(() => probe.ping()), exited]).catch((e: Error) => e.message);
      probe.disconnect();
      if (reply === 'PONG') break;
      if (child!.exitCode !== null) await exited;
      await new Promise((r) => setTimeout(r, 20));
    }
    admin = new IORedis(url, { maxRetriesPerRequest: 1 });
    admin.on('error', () => {});
  };
  const kill = async () => {
    admin?.disconnect();
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const gone = new Promise((resolve) => c.once('exit', resolve));
    c.kill('SIGKILL');
    await gone;
  };

  await launch();
  const server: RedisProcess = {
    port,
    url,
    get admin() {
      return admin!;
    },
    crash: kill,
    async restart() {
      await kill();
      await launch();
    },
    async stop() {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return server;
}

/** A primary and a replica of it. */
export interface RedisPair {
  primary: RedisProcess;
  replica: RedisProcess;
  /** Waits until the replica has everything the primary has written so far. */
  synced(): Promise<void>;
  /** Breaks the replication link: the replica becomes a primary of its own, writes stop reaching it. */
  breakLink(): Promise<void>;
  /** Makes it a replica of the primary again (after `breakLink`, a lag to catch up) and waits until synced. */
  relink(): Promise<void>;
  /** Stops both servers. */
  stop(): Promise<void>;
}

/** Starts a primary and a replica (`--replicaof`), and waits for the replica's first full sync. */
export async function startRedisPair(): Promise<RedisPair> {
  const primary = await startRedisProcess();
  const replica = await startRedisProcess({ args: ['--replicaof', '127.0.0.1', String(primary.port)] });
  const pair: RedisPair = {
    primary,
    replica,
    async synced() {
      for (;;) {
        const [p, r] = await Promise.all([info(primary.admin), info(replica.admin)]);
        if (r.master_link_status === 'up' && p.master_repl_offset === r.slave_repl_offset) return;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
    async breakLink() {
      await replica.admin.call('REPLICAOF', 'NO', 'ONE');
    },
    async relink() {
      await replica.admin.call('REPLICAOF', '127.0.0.1', String(primary.port));
      await pair.synced();
    },
    async stop() {
      await Promise.all([primary.stop(), replica.stop()]);
    },
  };
  await pair.synced();
  return pair;
}

/** INFO replication as a record. */
async function info(redis: IORedis): Promise<Record<string, string>> {
  const text = await redis.info('replication');
  return Object.fromEntries(
    text
      .split(/\r?\n/)
      .filter((line) => line.includes(':'))
      .map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1)]),
  );
}
