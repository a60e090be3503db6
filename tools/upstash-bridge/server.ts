/** @module upstash-bridge — a local Upstash-REST-compatible HTTP server that forwards to a real redis-server. */
import { createHash, timingSafeEqual } from 'node:crypto';
import { realpathSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Cluster, Redis, type ChainableCommander } from 'ioredis';

const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/** Every variable the bridge reads. */
export const BRIDGE_VARIABLES = [
  'UPSTASH_BRIDGE_HOST',
  'UPSTASH_BRIDGE_PORT',
  'UPSTASH_REDIS_REST_TOKEN',
  'REDIS_URL',
  'REDIS_CLUSTER_NODES',
  'UPSTASH_BRIDGE_SCRIPT_LOAD',
];
const MAX_BODY = 1024 * 1024;
const REDIS_START_HINT = `redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no`;

// Every request shares one redis connection, so anything that blocks it (BLPOP & co), switches it into
// another mode (SUBSCRIBE, MONITOR, replication) or changes per-connection state for everyone (SELECT, MULTI,
// WATCH, CLIENT, HELLO, ...) is refused with 400. Transactions go through POST /multi-exec instead. WAIT is
// passed through on a connection of its own (see `waitForReplicas`).
const REFUSED = new Set([
  'BLPOP',
  'BRPOP',
  'BRPOPLPUSH',
  'BLMOVE',
  'BLMPOP',
  'BZPOPMIN',
  'BZPOPMAX',
  'BZMPOP',
  'WAITAOF',
  'SUBSCRIBE',
  'PSUBSCRIBE',
  'SSUBSCRIBE',
  'UNSUBSCRIBE',
  'PUNSUBSCRIBE',
  'SUNSUBSCRIBE',
  'MONITOR',
  'SYNC',
  'PSYNC',
  'REPLCONF',
  'SELECT',
  'QUIT',
  'RESET',
  'HELLO',
  'AUTH',
  'CLIENT',
  'MULTI',
  'EXEC',
  'DISCARD',
  'WATCH',
  'UNWATCH',
  'SHUTDOWN',
]);

type Arg = string | number | Buffer;
/** One Redis command: its upper-case name, then its arguments. */
export type Cmd = [name: string, ...args: Arg[]];

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Where to listen, the bearer token clients must send, and the redis-server (or Redis Cluster) to forward to. */
export interface BridgeOptions {
  port?: number;
  host?: string;
  token?: string;
  redisUrl?: string;
  /** Seed nodes (`host:port`) of a Redis Cluster: every command, and every command of a pipeline, goes to the master of its slot. */
  clusterNodes?: string[];
  /**
   * A replica of `redisUrl` that serves the read-only commands, as an Upstash Global database serves reads
   * from the nearest replica; writes, scripts and transactions still go to `redisUrl`. A replica that lags
   * (its link broken or paused by a test) answers with what it has. Not with `clusterNodes`.
   */
  readReplicaUrl?: string;
  /** Cluster mode: `all` sends SCRIPT LOAD to every master; `one` to one master only, as a naive proxy does. */
  scriptLoad?: 'all' | 'one';
  /** Called for every HTTP request the bridge served: its commands and its size on the wire (tests, cost counting). */
  onRequest?: (request: RecordedRequest) => void;
}

/** One request as the bridge saw it. */
export interface RecordedRequest {
  path: string;
  commands: Cmd[];
  requestBytes: number;
  responseBytes: number;
}

/** A running bridge: its base URL (for `new Redis({ url, token })`) and a graceful close. */
export interface Bridge {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Start the bridge; unset options fall back to UPSTASH_BRIDGE_PORT/HOST, UPSTASH_REDIS_REST_TOKEN, REDIS_URL. */
export async function startBridge(opts: BridgeOptions = {}): Promise<Bridge> {
  const env = process.env;
  const token = opts.token ?? env.UPSTASH_REDIS_REST_TOKEN;
  if (!token) throw new Error('upstash-bridge: a token is required (opts.token or UPSTASH_REDIS_REST_TOKEN)');
  const host = opts.host ?? env.UPSTASH_BRIDGE_HOST ?? '127.0.0.1';
  const port = opts.port ?? parsePort(env.UPSTASH_BRIDGE_PORT ?? '8079');
  const redisUrl = opts.redisUrl ?? env.REDIS_URL ?? DEFAULT_REDIS_URL;
  const clusterNodes = opts.clusterNodes ?? parseNodes(env.REDIS_CLUSTER_NODES);
  const scriptLoad = opts.scriptLoad ?? parseScriptLoad(env.UPSTASH_BRIDGE_SCRIPT_LOAD);

  const backend =
    clusterNodes.length > 0
      ? await connectCluster(clusterNodes, scriptLoad)
      : singleBackend(await connectRedis(redisUrl), redisUrl);
  if (opts.readReplicaUrl && clusterNodes.length === 0) await readFromReplica(backend, await connectRedis(opts.readReplicaUrl));
  let server: ReturnType<typeof createServer>;
  try {
    const commands = await loadCommandNames(backend);
    server = createServer(createHandler(backend, token, commands, opts.onRequest));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    backend.disconnect();
    throw err;
  }
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${bound}`,
    port: bound,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        // Keep-alive sockets with a request in flight get one second to finish.
        setTimeout(() => server.closeAllConnections(), 1000).unref();
      });
      await backend.quit();
    },
  };
}

/** Connect once; fail fast (with a hint) if redis is down at start, reconnect with backoff afterwards. */
async function connectRedis(url: string): Promise<Redis> {
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
interface Backend {
  /** Runs one command (Buffer replies). */
  run(cmd: Cmd): Promise<unknown>;
  /** Runs commands atomically (MULTI/EXEC); null when the transaction was aborted. */
  multi(cmds: Cmd[]): Promise<[Error | null, unknown][] | null>;
  /** WAIT numreplicas timeout, covering every write the bridge has run before it. */
  wait(cmd: Cmd): Promise<unknown>;
  quit(): Promise<void>;
  disconnect(): void;
}

function singleBackend(redis: Redis, url: string): Backend {
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
async function connectCluster(nodes: string[], scriptLoad: 'all' | 'one'): Promise<Backend> {
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
async function readFromReplica(backend: Backend, replica: Redis): Promise<void> {
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
async function loadCommandNames(backend: Backend): Promise<Set<string>> {
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

/**
 * Upstash's own shebang flag `#!lua flags=allow-key-locking` (sent by @upstash/ratelimit >= 2.1), which
 * redis-server refuses as an unknown flag. The bridge runs such scripts without that flag and remembers
 * which SHA-1 the client knows each one by, so EVALSHA, SCRIPT EXISTS and SCRIPT LOAD keep the client's SHA.
 */
class UpstashShebang {
  private static readonly FLAG = 'allow-key-locking';
  /** The client's SHA-1 of a script → the SHA-1 of the script redis-server runs. */
  private readonly shas = new Map<string, string>();

  /** The command as redis-server can run it. */
  before(cmd: Cmd): Cmd {
    const [name, first] = cmd;
    const sub = String(first ?? '').toUpperCase();
    if (name === 'EVAL' || name === 'EVAL_RO') return this.rewriteScript(cmd, 1);
    if (name === 'SCRIPT' && sub === 'LOAD') return this.rewriteScript(cmd, 2);
    if (name === 'EVALSHA' || name === 'EVALSHA_RO') return this.rewriteShas(cmd, 1, 2);
    if (name === 'SCRIPT' && sub === 'EXISTS') return this.rewriteShas(cmd, 2, cmd.length);
    return cmd;
  }

  /** The reply as the client expects it: SCRIPT LOAD answers the SHA-1 of the script the client sent. */
  after(cmd: Cmd, reply: unknown): unknown {
    if (cmd[0] !== 'SCRIPT' || String(cmd[1]).toUpperCase() !== 'LOAD' || cmd[2] === undefined) return reply;
    const sha = sha1(cmd[2]);
    return this.shas.has(sha) ? Buffer.from(sha) : reply;
  }

  private rewriteScript(cmd: Cmd, at: number): Cmd {
    const raw = cmd[at];
    if (raw === undefined) return cmd;
    const script = Buffer.isBuffer(raw) ? raw.toString('utf8') : String(raw);
    const match = /^#!lua flags=([^\n]*)/.exec(script);
    const flags = match?.[1]?.split(',').map((f) => f.trim()) ?? [];
    if (!match || !flags.includes(UpstashShebang.FLAG)) return cmd;
    const rest = flags.filter((f) => f !== UpstashShebang.FLAG && f !== '');
    // "#!lua" without flags keeps redis' stricter rules for scripts with a shebang (no cross-slot keys).
    const rewritten = `#!lua${rest.length > 0 ? ` flags=${rest.join(',')}` : ''}${script.slice(match[0].length)}`;
    this.shas.set(sha1(raw), sha1(rewritten));
    const out = [...cmd] as Cmd;
    out[at] = rewritten;
    return out;
  }

  private rewriteShas(cmd: Cmd, from: number, to: number): Cmd {
    const out = [...cmd] as Cmd;
    for (let i = from; i < Math.min(to, out.length); i++) {
      const known = this.shas.get(String(out[i]).toLowerCase());
      if (known) out[i] = known;
    }
    return out;
  }
}

function createHandler(backend: Backend, token: string, commands: Set<string>, onRequest?: (request: RecordedRequest) => void) {
  const shebang = new UpstashShebang();
  const run = async (cmd: Cmd): Promise<unknown> =>
    cmd[0] === 'WAIT' ? backend.wait(cmd) : shebang.after(cmd, await backend.run(shebang.before(cmd)));
  const multi = async (cmds: Cmd[]) => {
    const results = await backend.multi(cmds.map((cmd) => shebang.before(cmd)));
    return (
      results?.map(([err, value], i): [Error | null, unknown] => [err, err ? value : shebang.after(cmds[i] as Cmd, value)]) ??
      null
    );
  };
  const expected = sha256(token);

  function authorized(req: IncomingMessage, query: string): boolean {
    const header = req.headers.authorization;
    let given: string | null = null;
    if (header !== undefined && header.slice(0, 7).toLowerCase() === 'bearer ') given = header.slice(7);
    else if (query) given = new URLSearchParams(query).get('_token'); // Upstash also accepts ?_token=
    // Hashing first gives equal-length inputs, so the comparison time says nothing about the token.
    return given !== null && timingSafeEqual(sha256(given), expected);
  }

  async function route(req: IncomingMessage, res: ServerResponse, seen: RecordedRequest): Promise<void> {
    const rawUrl = req.url ?? '/';
    const q = rawUrl.indexOf('?');
    const path = q === -1 ? rawUrl : rawUrl.slice(0, q);
    if (path === '/health') return send(res, 200, 'ok', 'text/plain');
    if (!authorized(req, q === -1 ? '' : rawUrl.slice(q + 1))) return sendError(res, 401, 'Unauthorized');

    const encoding = req.headers['upstash-encoding'];
    const base64 = typeof encoding === 'string' && encoding.toLowerCase() === 'base64';
    // Single redis => every write is immediately readable; echo the client's read-your-writes token unchanged.
    const syncToken = req.headers['upstash-sync-token'];
    const extra = typeof syncToken === 'string' && syncToken ? { 'upstash-sync-token': syncToken } : undefined;

    if (path === '/' || path === '/pipeline' || path === '/multi-exec') {
      if (req.method !== 'POST') throw new HttpError(405, `${path} only accepts POST`);
      const raw = await readBody(req);
      seen.requestBytes += raw.length;
      const body = parseJson(raw);
      if (path === '/') {
        const cmd = parseCommand(body);
        seen.commands.push(cmd);
        const result = encode(await runOne(run, cmd), base64);
        return send(res, 200, JSON.stringify({ result }), 'application/json', extra);
      }
      if (!Array.isArray(body) || body.length === 0) {
        throw new HttpError(400, 'ERR body must be a non-empty JSON array of commands');
      }
      const cmds = body.map(parseCommand); // validate everything before running anything
      seen.commands.push(...cmds);
      const items = path === '/pipeline' ? await runPipeline(run, cmds, base64) : await runMulti(multi, cmds, base64);
      return send(res, 200, JSON.stringify(items), 'application/json', extra);
    }

    // Path form: /set/key/value, URL-decoded segments; a POST body becomes the last argument.
    if (req.method !== 'GET' && req.method !== 'POST') throw new HttpError(405, 'method not allowed');
    const segments = path.slice(1).split('/').map(decodeSegment);
    const name = (segments[0] ?? '').toUpperCase();
    if (!commands.has(name)) throw new HttpError(404, `not found: ${path}`);
    const cmd: Cmd = [name, ...segments.slice(1)];
    checkAllowed(cmd);
    const body = req.method === 'POST' ? await readBody(req) : null;
    if (body && body.length > 0) cmd.push(body);
    seen.requestBytes += body?.length ?? 0;
    seen.commands.push(cmd);
    const result = encode(await runOne(run, cmd), base64);
    return send(res, 200, JSON.stringify({ result }), 'application/json', extra);
  }

  return (req: IncomingMessage, res: ServerResponse): void => {
    const seen: RecordedRequest = {
      path: (req.url ?? '/').split('?')[0] as string,
      commands: [],
      requestBytes: (req.url ?? '/').length,
      responseBytes: 0,
    };
    if (onRequest) {
      res.once('finish', () => {
        seen.responseBytes = Number(res.getHeader('content-length') ?? 0);
        onRequest(seen);
      });
    }
    route(req, res, seen).catch((err: unknown) => {
      if (res.headersSent) return void res.destroy();
      if (err instanceof HttpError) {
        // Don't keep reading an oversized upload just to reuse the socket.
        if (err.status === 413) res.setHeader('connection', 'close');
        return sendError(res, err.status, err.message);
      }
      sendError(res, 500, `upstash-bridge: ${(err as Error)?.message ?? String(err)}`);
    });
  };
}

/** Run one command; redis errors become 400 `{error}` like Upstash, anything else (connection trouble) 500. */
async function runOne(run: (cmd: Cmd) => Promise<unknown>, cmd: Cmd): Promise<unknown> {
  try {
    return await run(cmd);
  } catch (err) {
    if (isReplyError(err)) throw new HttpError(400, err.message);
    throw err;
  }
}

async function runPipeline(run: (cmd: Cmd) => Promise<unknown>, cmds: Cmd[], base64: boolean) {
  // Non-atomic: a failing command yields an {error} item and the others still run.
  return Promise.all(
    cmds.map((cmd) =>
      run(cmd).then(
        (value) => ({ result: encode(value, base64) }),
        (err: unknown) => {
          if (isReplyError(err)) return { error: err.message };
          throw err;
        },
      ),
    ),
  );
}

async function runMulti(multi: (cmds: Cmd[]) => Promise<[Error | null, unknown][] | null>, cmds: Cmd[], base64: boolean) {
  let results: [Error | null, unknown][] | null;
  try {
    results = await multi(cmds);
  } catch (err) {
    if (!isReplyError(err)) throw err;
    // EXECABORT alone doesn't say which command was wrong; ioredis keeps the queueing errors.
    const first = (err as { previousErrors?: Error[] }).previousErrors?.[0];
    throw new HttpError(400, first ? `${err.message} ${first.message}` : err.message);
  }
  if (!results) throw new HttpError(400, 'ERR transaction aborted');
  return results.map(([err, value]) => (err ? { error: err.message } : { result: encode(value, base64) }));
}

/** Reply → JSON value: bulk/status replies as base64 (or UTF-8), integers and nil untouched, arrays recursively. */
function encode(value: unknown, base64: boolean): unknown {
  if (Buffer.isBuffer(value)) return base64 ? value.toString('base64') : value.toString('utf8');
  if (Array.isArray(value)) return value.map((v) => encode(v, base64));
  if (value instanceof Error) return encode(Buffer.from(value.message), base64); // error nested in a script reply
  return value ?? null;
}

function parseCommand(raw: unknown): Cmd {
  if (!Array.isArray(raw) || raw.length === 0) throw new HttpError(400, 'ERR command must be a non-empty JSON array');
  const first: unknown = raw[0];
  if (typeof first !== 'string' || first === '') throw new HttpError(400, 'ERR command name must be a non-empty string');
  // Upper case also keeps ioredis' name-keyed transformers (e.g. hgetall → object) out of the way.
  const cmd: Cmd = [first.toUpperCase()];
  for (let i = 1; i < raw.length; i++) {
    const arg: unknown = raw[i];
    if (typeof arg === 'string' || typeof arg === 'number') cmd.push(arg);
    else if (typeof arg === 'boolean')
      cmd.push(String(arg)); // @upstash/redis sends booleans as JSON booleans
    else throw new HttpError(400, `ERR argument ${i} of ${first} must be a string, number or boolean`);
  }
  checkAllowed(cmd);
  return cmd;
}

function checkAllowed(cmd: Cmd): void {
  const name = cmd[0];
  const blockingRead = (name === 'XREAD' || name === 'XREADGROUP') && hasBlockOption(cmd);
  if (REFUSED.has(name) || blockingRead) {
    throw new HttpError(400, `ERR ${name}${blockingRead ? ' BLOCK' : ''} is not supported by upstash-bridge`);
  }
}

function hasBlockOption(cmd: Cmd): boolean {
  // XREADGROUP GROUP <group> <consumer> ...: skip the names, a group called "block" is legal.
  for (let i = cmd[0] === 'XREADGROUP' ? 4 : 1; i < cmd.length; i++) {
    const arg = String(cmd[i]).toUpperCase();
    if (arg === 'BLOCK') return true;
    if (arg === 'STREAMS') return false; // key names follow; "block" there would be a stream key
  }
  return false;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  if (Number(req.headers['content-length']) > MAX_BODY) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size <= MAX_BODY) return void chunks.push(chunk);
      req.off('data', onData);
      req.resume(); // discard the rest
      reject(tooLarge());
    };
    req.on('data', onData);
    req.on('end', () => resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size)));
    req.on('error', reject);
  });
}

function tooLarge(): HttpError {
  return new HttpError(413, `ERR request body exceeds ${MAX_BODY} bytes`);
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw new HttpError(400, 'ERR request body is not valid JSON');
  }
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HttpError(400, 'ERR malformed URL encoding in path');
  }
}

function isReplyError(err: unknown): err is Error {
  return err instanceof Error && err.name === 'ReplyError';
}

function send(res: ServerResponse, status: number, body: string, type = 'application/json', extra?: Record<string, string>) {
  // Set, not passed to writeHead, so the recorder can read the length back.
  for (const [name, value] of Object.entries({ 'content-type': type, 'content-length': Buffer.byteLength(body), ...extra }))
    res.setHeader(name, value);
  res.writeHead(status);
  res.end(body);
}

function sendError(res: ServerResponse, status: number, message: string): void {
  send(res, status, JSON.stringify({ error: message }));
}

function sha256(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

function sha1(s: Arg): string {
  return createHash('sha1')
    .update(Buffer.isBuffer(s) ? s : String(s))
    .digest('hex');
}

function parseNodes(raw: string | undefined): string[] {
  return (raw ?? '')
    .split(',')
    .map((n) => n.trim())
    .filter((n) => n !== '');
}

function parseScriptLoad(raw: string | undefined): 'all' | 'one' {
  if (raw === undefined || raw === '' || raw === 'all' || raw === 'one') return raw === 'one' ? 'one' : 'all';
  throw new Error(`upstash-bridge: UPSTASH_BRIDGE_SCRIPT_LOAD must be "all" or "one", not "${raw}"`);
}

function parsePort(raw: string): number {
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`upstash-bridge: invalid port "${raw}"`);
  return port;
}

function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString().replace(/\/$/, '');
  } catch {
    return url;
  }
}

async function main(): Promise<void> {
  if (!process.env.UPSTASH_REDIS_REST_TOKEN) {
    console.error('upstash-bridge: UPSTASH_REDIS_REST_TOKEN is required (the bearer token clients must send)');
    process.exit(1);
  }
  let bridge: Bridge;
  try {
    bridge = await startBridge();
  } catch (err) {
    console.error((err as Error).message);
    process.exit(1);
  }
  const target = process.env.REDIS_CLUSTER_NODES
    ? `cluster ${process.env.REDIS_CLUSTER_NODES}`
    : redactUrl(process.env.REDIS_URL ?? DEFAULT_REDIS_URL);
  console.log(`upstash-bridge listening on ${bridge.url} -> ${target}`);
  const stop = (): void => {
    process.once('SIGINT', () => process.exit(130)); // a second Ctrl-C skips the graceful close
    bridge.close().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(`upstash-bridge: error while closing: ${(err as Error).message}`);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

function invokedDirectly(): boolean {
  try {
    return process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url);
  } catch {
    return false; // argv[1] is not a file (REPL, node -e)
  }
}

if (invokedDirectly()) await main();
