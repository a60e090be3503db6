/** @module Where the bridge's commands go: one redis-server (optionally reading from a replica), or the masters of a Redis Cluster. */
import { Cluster, Redis, type ChainableCommander } from 'ioredis';
import { HttpError, isReplyError, type Cmd } from './commands';

const REDIS_START_HINT = `redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no`;

/** Connect once; fail fast (with a hint) if redis is down at start, reconnect with backoff afterwards. */
export async function connectRedis(url: string): Promise<Redis> {
  let started = false;
  let lastError = '';
  const redis = new Redis(url, {
    lazyConnect: true,
    retryStrategy: (times) => (started ? Math.min(times * 50, 2000) : null),
  });
  redis.on('error', (err: Error) => {
    // ioredis repeats the same error on every reconnect attempt; log each distinct one once.
    if (started && err.message !== lastError) console.error(`upstash-bridge: redis error: ${err.message}`);
    lastError = err.message;
  });
  redis.on('ready', () => (lastError = ''));
  try {
    await redis.connect();
  } catch (err) {
    redis.disconnect();
    const reason = lastError || (err as Error).message;
    throw new Error(
      `upstash-bridge: cannot reach redis at ${redactUrl(url)} (${reason}). Start one with:\n  ${REDIS_START_HINT}`,
    );
  }
  started = true;
  return redis;
}

/** Where commands go: one redis-server, or the masters of a Redis Cluster. */
export interface Backend {
  /** Runs one command (Buffer replies). */
  run(cmd: Cmd): Promise<unknown>;
  /** Runs commands atomically (MULTI/EXEC); null when the transaction was aborted. */
  multi(cmds: Cmd[]): Promise<[Error | null, unknown][] | null>;
  /** WAIT numreplicas timeout, covering every write the bridge has run before it. */
  wait(cmd: Cmd): Promise<unknown>;
  quit(): Promise<void>;
  disconnect(): void;
}

export function singleBackend(redis: Redis, url: string): Backend {
  return {
    run: createBatcher(redis),
    wait: (cmd) => waitForReplicas(url, cmd),
    // ioredis writes MULTI..EXEC in one go, so the shared connection can't interleave other commands into it.
    multi: (cmds) => {
      const tx = redis.multi();
      for (const cmd of cmds) tx.callBuffer(...cmd);
      return tx.exec();
    },
    quit: () =>
      redis.quit().then(
        () => undefined,
        () => redis.disconnect(),
      ),
    disconnect: () => redis.disconnect(),
  };
}

/**
 * Cluster mode: ioredis Cluster sends each command to the master of its key's slot (following MOVED/ASK),
 * and a pipeline's commands each on their own, so they may live in different slots as on Upstash. Keyless
 * commands that concern every node's data (FLUSHALL, SCRIPT FLUSH, KEYS, DBSIZE, SCAN) go to every master.
 */
export async function connectCluster(nodes: string[], scriptLoad: 'all' | 'one'): Promise<Backend> {
  const cluster = new Cluster(nodes, { lazyConnect: true, clusterRetryStrategy: (times) => Math.min(100 + times * 50, 2000) });
  let lastError = '';
  cluster.on('error', (err: Error) => {
    if (err.message !== lastError) console.error(`upstash-bridge: redis cluster error: ${err.message}`);
    lastError = err.message;
  });
  try {
    await cluster.connect();
  } catch (err) {
    cluster.disconnect();
    throw new Error(`upstash-bridge: cannot reach the redis cluster at ${nodes.join(',')} (${(err as Error).message})`);
  }
  // Sorted, so "one master" is always the same one.
  const masters = () => cluster.nodes('master').sort((a, b) => nodeName(a).localeCompare(nodeName(b)));
  const onEvery = (cmd: Cmd) => Promise.all(masters().map((node) => node.callBuffer(...cmd)));
  // SCAN over the whole database, as one endpoint answers it: the masters are walked one after the other,
  // and the cursor a client sees is (the master's own cursor) × (masters) + (which master).
  const scanEvery = async ([, cursorArg, ...options]: Cmd): Promise<unknown> => {
    const walk = masters();
    const count = BigInt(walk.length);
    const text = String(cursorArg ?? '');
    if (!/^\d{1,20}$/.test(text)) throw new HttpError(400, 'ERR invalid cursor');
    const composite = BigInt(text);
    const index = Number(composite % count);
    const [next, keys] = (await (walk[index] as Redis).callBuffer('SCAN', String(composite / count), ...options)) as [
      Buffer,
      Buffer[],
    ];
    const nodeCursor = BigInt(next.toString());
    // This master is done: the next one from its start, or the end of the whole walk.
    if (nodeCursor === 0n) return [Buffer.from(index + 1 === walk.length ? '0' : String(index + 1)), keys];
    return [Buffer.from(String(nodeCursor * count + BigInt(index))), keys];
  };
  const run = async (cmd: Cmd): Promise<unknown> => {
    const [name, sub] = [cmd[0], String(cmd[1] ?? '').toUpperCase()];
    if (name === 'SCRIPT' && sub === 'LOAD') {
      if (scriptLoad === 'one') return (masters()[0] as Redis).callBuffer(...cmd);
      return (await onEvery(cmd))[0];
    }
    if (name === 'SCRIPT' && sub === 'EXISTS') {
      // A script counts as loaded only when every master has it.
      const replies = (await onEvery(cmd)) as number[][];
      return cmd.slice(2).map((_, i) => Math.min(...replies.map((r) => Number(r[i]))));
    }
    if ((name === 'SCRIPT' && sub === 'FLUSH') || name === 'FLUSHALL' || name === 'FLUSHDB') return (await onEvery(cmd))[0];
    if (name === 'KEYS') return (await onEvery(cmd)).flat();
    if (name === 'SCAN') return scanEvery(cmd);
    if (name === 'DBSIZE') return (await onEvery(cmd)).reduce((sum: number, n) => sum + Number(n), 0);
    return cluster.callBuffer(...cmd);
  };
  return {
    run,
    wait: () => Promise.reject(new HttpError(400, 'ERR WAIT is not supported by the bridge in cluster mode')),
    multi: async (cmds) => {
      const tx = cluster.multi();
      for (const cmd of cmds) tx.callBuffer(...cmd);
      try {
        return await tx.exec();
      } catch (err) {
        // ioredis refuses a transaction over several slots before sending it; answer like the server would.
        if (!isReplyError(err) && /slot/i.test((err as Error).message))
          throw new HttpError(400, "CROSSSLOT Keys in request don't hash to the same slot");
        throw err;
      }
    },
    quit: () =>
      cluster.quit().then(
        () => undefined,
        () => cluster.disconnect(),
      ),
    disconnect: () => cluster.disconnect(),
  };
}

function nodeName(node: Redis): string {
  return `${node.options.host}:${node.options.port}`;
}

/**
 * Read-replica mode: read-only commands (the server's own `readonly` flag; never scripts) go to the replica,
 * everything else stays on the primary. Changes `backend` in place.
 */
export async function readFromReplica(backend: Backend, replica: Redis): Promise<void> {
  const docs = (await backend.run(['COMMAND'])) as unknown[];
  const reads = new Set<string>();
  for (const doc of docs) {
    if (!Array.isArray(doc)) continue;
    const name = String(doc[0]).toUpperCase();
    const flags = (doc[2] as unknown[]).map(String);
    if (flags.includes('readonly') && !/^(EVAL|FCALL|SCRIPT)/.test(name)) reads.add(name);
  }
  const fromPrimary = backend.run;
  const fromReplica = createBatcher(replica);
  backend.run = (cmd) => (reads.has(cmd[0]) ? fromReplica(cmd) : fromPrimary(cmd));
  const [quit, disconnect] = [backend.quit, backend.disconnect];
  backend.quit = async () => {
    await Promise.all([quit(), replica.quit().catch(() => replica.disconnect())]);
  };
  backend.disconnect = () => {
    disconnect();
    replica.disconnect();
  };
}

/**
 * WAIT as Upstash answers it, without blocking everyone: redis-server's WAIT blocks the connection it is sent
 * on and counts replicas that acknowledged that connection's last write. So it runs on a connection of its
 * own, which first sends a PUBLISH (replicated, touches no key): its offset is past every write the shared
 * connection had run when the WAIT arrived, so the replicas that acknowledge it have those writes too.
 */
async function waitForReplicas(url: string, cmd: Cmd): Promise<unknown> {
  const [, replicas, timeout] = cmd;
  if (cmd.length !== 3 || !/^\d{1,9}$/.test(String(replicas)) || !/^\d{1,9}$/.test(String(timeout)))
    throw new HttpError(400, 'ERR WAIT takes numreplicas and timeout (ms)');
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on('error', () => {});
  try {
    await redis.connect();
    await redis.publish('upstash-bridge:wait', '');
    return await redis.call('WAIT', String(replicas), String(timeout));
  } finally {
    redis.disconnect();
  }
}

/** Command names known to the server, so the path form can answer 404 for paths that are not commands. */
export async function loadCommandNames(backend: Backend): Promise<Set<string>> {
  let names: unknown = await backend.run(['COMMAND', 'LIST']).catch(() => null); // Redis >= 7
  if (!Array.isArray(names)) {
    const docs = await backend.run(['COMMAND']);
    names = Array.isArray(docs) ? docs.map((d: unknown) => (Array.isArray(d) ? d[0] : undefined)) : [];
  }
  return new Set(
    (names as unknown[])
      .map((n) => (Buffer.isBuffer(n) ? n.toString() : n))
      .filter((n) => typeof n === 'string')
      .map((n) => (n as string).toUpperCase()),
  );
}

/**
 * Same idea as ioredis `enableAutoPipelining` (every command issued in one event-loop turn goes out in one
 * write), done here because that option breaks `callBuffer`: it drops the command name (redis/ioredis#1923).
 */
function createBatcher(redis: Redis): (cmd: Cmd) => Promise<unknown> {
  type Waiter = { resolve(value: unknown): void; reject(err: unknown): void };
  let pipeline: ChainableCommander | null = null;
  let waiters: Waiter[] = [];
  const flush = (): void => {
    const batch = pipeline as ChainableCommander;
    const batchWaiters = waiters;
    pipeline = null;
    waiters = [];
    batch.exec().then(
      (results) => {
        batchWaiters.forEach((w, i) => {
          const r = results?.[i];
          if (!r) w.reject(new Error('redis pipeline returned no reply'));
          else if (r[0]) w.reject(r[0]);
          else w.resolve(r[1]);
        });
      },
      (err: unknown) => batchWaiters.forEach((w) => w.reject(err)),
    );
  };
  return (cmd) =>
    new Promise((resolve, reject) => {
      if (!pipeline) {
        pipeline = redis.pipeline();
        setImmediate(flush);
      }
      pipeline.callBuffer(...cmd); // Buffer replies, so binary values round-trip exactly
      waiters.push({ resolve, reject });
    });
}

export function parseNodes(raw: string | undefined): string[] {
  return (raw ?? '')
    .split(',')
    .map((n) => n.trim())
    .filter((n) => n !== '');
}

export function parseScriptLoad(raw: string | undefined): 'all' | 'one' {
  if (raw === undefined || raw === '' || raw === 'all' || raw === 'one') return raw === 'one' ? 'one' : 'all';
  throw new Error(`upstash-bridge: UPSTASH_BRIDGE_SCRIPT_LOAD must be "all" or "one", not "${raw}"`);
}

export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString().replace(/\/$/, '');
  } catch {
    return url;
  }
}
