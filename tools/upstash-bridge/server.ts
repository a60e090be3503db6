/** @module upstash-bridge — a local Upstash-REST-compatible HTTP server that forwards to a real redis-server. */
import { createHash, timingSafeEqual } from "node:crypto";
import { realpathSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { Redis, type ChainableCommander } from "ioredis";

const DEFAULT_REDIS_URL = "redis://127.0.0.1:6379";

/** Every variable the bridge reads. */
export const BRIDGE_VARIABLES = ["UPSTASH_BRIDGE_HOST", "UPSTASH_BRIDGE_PORT", "UPSTASH_REDIS_REST_TOKEN", "REDIS_URL"];
const MAX_BODY = 1024 * 1024;
const REDIS_START_HINT = `redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no`;

// Every request shares one redis connection, so anything that blocks it (BLPOP & co, WAIT), switches it into
// another mode (SUBSCRIBE, MONITOR, replication) or changes per-connection state for everyone (SELECT, MULTI,
// WATCH, CLIENT, HELLO, ...) is refused with 400. Transactions go through POST /multi-exec instead.
const REFUSED = new Set([
  "BLPOP", "BRPOP", "BRPOPLPUSH", "BLMOVE", "BLMPOP", "BZPOPMIN", "BZPOPMAX", "BZMPOP", "WAIT", "WAITAOF",
  "SUBSCRIBE", "PSUBSCRIBE", "SSUBSCRIBE", "UNSUBSCRIBE", "PUNSUBSCRIBE", "SUNSUBSCRIBE", "MONITOR",
  "SYNC", "PSYNC", "REPLCONF", "SELECT", "QUIT", "RESET", "HELLO", "AUTH", "CLIENT",
  "MULTI", "EXEC", "DISCARD", "WATCH", "UNWATCH", "SHUTDOWN",
]);

type Arg = string | number | Buffer;
type Cmd = [name: string, ...args: Arg[]];

class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/** Where to listen, the bearer token clients must send, and the redis-server to forward to. */
export interface BridgeOptions {
  port?: number;
  host?: string;
  token?: string;
  redisUrl?: string;
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
  if (!token) throw new Error("upstash-bridge: a token is required (opts.token or UPSTASH_REDIS_REST_TOKEN)");
  const host = opts.host ?? env.UPSTASH_BRIDGE_HOST ?? "127.0.0.1";
  const port = opts.port ?? parsePort(env.UPSTASH_BRIDGE_PORT ?? "8079");
  const redisUrl = opts.redisUrl ?? env.REDIS_URL ?? DEFAULT_REDIS_URL;

  const redis = await connectRedis(redisUrl);
  let server: ReturnType<typeof createServer>;
  try {
    const commands = await loadCommandNames(redis);
    server = createServer(createHandler(redis, token, commands));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => {
        server.off("error", reject);
        resolve();
      });
    });
  } catch (err) {
    redis.disconnect();
    throw err;
  }
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `http://${host.includes(":") ? `[${host}]` : host}:${bound}`,
    port: bound,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        // Keep-alive sockets with a request in flight get one second to finish.
        setTimeout(() => server.closeAllConnections(), 1000).unref();
      });
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}

/** Connect once; fail fast (with a hint) if redis is down at start, reconnect with backoff afterwards. */
async function connectRedis(url: string): Promise<Redis> {
  let started = false;
  let lastError = "";
  const redis = new Redis(url, {
    lazyConnect: true,
    retryStrategy: (times) => (started ? Math.min(times * 50, 2000) : null),
  });
  redis.on("error", (err: Error) => {
    // ioredis repeats the same error on every reconnect attempt; log each distinct one once.
    if (started && err.message !== lastError) console.error(`upstash-bridge: redis error: ${err.message}`);
    lastError = err.message;
  });
  redis.on("ready", () => (lastError = ""));
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

/** Command names known to the server, so the path form can answer 404 for paths that are not commands. */
async function loadCommandNames(redis: Redis): Promise<Set<string>> {
  let names: unknown = await redis.call("COMMAND", "LIST").catch(() => null); // Redis >= 7
  if (!Array.isArray(names)) {
    const docs = await redis.call("COMMAND");
    names = Array.isArray(docs) ? docs.map((d: unknown) => (Array.isArray(d) ? d[0] : undefined)) : [];
  }
  return new Set((names as unknown[]).filter((n) => typeof n === "string").map((n) => (n as string).toUpperCase()));
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
          if (!r) w.reject(new Error("redis pipeline returned no reply"));
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

function createHandler(redis: Redis, token: string, commands: Set<string>) {
  const run = createBatcher(redis);
  const expected = sha256(token);

  function authorized(req: IncomingMessage, query: string): boolean {
    const header = req.headers.authorization;
    let given: string | null = null;
    if (header !== undefined && header.slice(0, 7).toLowerCase() === "bearer ") given = header.slice(7);
    else if (query) given = new URLSearchParams(query).get("_token"); // Upstash also accepts ?_token=
    // Hashing first gives equal-length inputs, so the comparison time says nothing about the token.
    return given !== null && timingSafeEqual(sha256(given), expected);
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const rawUrl = req.url ?? "/";
    const q = rawUrl.indexOf("?");
    const path = q === -1 ? rawUrl : rawUrl.slice(0, q);
    if (path === "/health") return send(res, 200, "ok", "text/plain");
    if (!authorized(req, q === -1 ? "" : rawUrl.slice(q + 1))) return sendError(res, 401, "Unauthorized");

    const encoding = req.headers["upstash-encoding"];
    const base64 = typeof encoding === "string" && encoding.toLowerCase() === "base64";
    // Single redis => every write is immediately readable; echo the client's read-your-writes token unchanged.
    const syncToken = req.headers["upstash-sync-token"];
    const extra = typeof syncToken === "string" && syncToken ? { "upstash-sync-token": syncToken } : undefined;

    if (path === "/" || path === "/pipeline" || path === "/multi-exec") {
      if (req.method !== "POST") throw new HttpError(405, `${path} only accepts POST`);
      const body = parseJson(await readBody(req));
      if (path === "/") {
        const result = encode(await runOne(run, parseCommand(body)), base64);
        return send(res, 200, JSON.stringify({ result }), "application/json", extra);
      }
      if (!Array.isArray(body) || body.length === 0) {
        throw new HttpError(400, "ERR body must be a non-empty JSON array of commands");
      }
      const cmds = body.map(parseCommand); // validate everything before running anything
      const items = path === "/pipeline" ? await runPipeline(run, cmds, base64) : await runMulti(redis, cmds, base64);
      return send(res, 200, JSON.stringify(items), "application/json", extra);
    }

    // Path form: /set/key/value, URL-decoded segments; a POST body becomes the last argument.
    if (req.method !== "GET" && req.method !== "POST") throw new HttpError(405, "method not allowed");
    const segments = path.slice(1).split("/").map(decodeSegment);
    const name = (segments[0] ?? "").toUpperCase();
    if (!commands.has(name)) throw new HttpError(404, `not found: ${path}`);
    const cmd: Cmd = [name, ...segments.slice(1)];
    checkAllowed(cmd);
    const body = req.method === "POST" ? await readBody(req) : null;
    if (body && body.length > 0) cmd.push(body);
    const result = encode(await runOne(run, cmd), base64);
    return send(res, 200, JSON.stringify({ result }), "application/json", extra);
  }

  return (req: IncomingMessage, res: ServerResponse): void => {
    route(req, res).catch((err: unknown) => {
      if (res.headersSent) return void res.destroy();
      if (err instanceof HttpError) {
        // Don't keep reading an oversized upload just to reuse the socket.
        if (err.status === 413) res.setHeader("connection", "close");
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

async function runMulti(redis: Redis, cmds: Cmd[], base64: boolean) {
  // ioredis writes MULTI..EXEC in one go, so the shared connection can't interleave other commands into it.
  const tx = redis.multi();
  for (const cmd of cmds) tx.callBuffer(...cmd);
  let results: [Error | null, unknown][] | null;
  try {
    results = await tx.exec();
  } catch (err) {
    if (!isReplyError(err)) throw err;
    // EXECABORT alone doesn't say which command was wrong; ioredis keeps the queueing errors.
    const first = (err as { previousErrors?: Error[] }).previousErrors?.[0];
    throw new HttpError(400, first ? `${err.message} ${first.message}` : err.message);
  }
  if (!results) throw new HttpError(400, "ERR transaction aborted");
  return results.map(([err, value]) => (err ? { error: err.message } : { result: encode(value, base64) }));
}

/** Reply → JSON value: bulk/status replies as base64 (or UTF-8), integers and nil untouched, arrays recursively. */
function encode(value: unknown, base64: boolean): unknown {
  if (Buffer.isBuffer(value)) return base64 ? value.toString("base64") : value.toString("utf8");
  if (Array.isArray(value)) return value.map((v) => encode(v, base64));
  if (value instanceof Error) return encode(Buffer.from(value.message), base64); // error nested in a script reply
  return value ?? null;
}

function parseCommand(raw: unknown): Cmd {
  if (!Array.isArray(raw) || raw.length === 0) throw new HttpError(400, "ERR command must be a non-empty JSON array");
  const first: unknown = raw[0];
  if (typeof first !== "string" || first === "") throw new HttpError(400, "ERR command name must be a non-empty string");
  // Upper case also keeps ioredis' name-keyed transformers (e.g. hgetall → object) out of the way.
  const cmd: Cmd = [first.toUpperCase()];
  for (let i = 1; i < raw.length; i++) {
    const arg: unknown = raw[i];
    if (typeof arg === "string" || typeof arg === "number") cmd.push(arg);
    else if (typeof arg === "boolean") cmd.push(String(arg)); // @upstash/redis sends booleans as JSON booleans
    else throw new HttpError(400, `ERR argument ${i} of ${first} must be a string, number or boolean`);
  }
  checkAllowed(cmd);
  return cmd;
}

function checkAllowed(cmd: Cmd): void {
  const name = cmd[0];
  const blockingRead = (name === "XREAD" || name === "XREADGROUP") && hasBlockOption(cmd);
  if (REFUSED.has(name) || blockingRead) {
    throw new HttpError(400, `ERR ${name}${blockingRead ? " BLOCK" : ""} is not supported by upstash-bridge`);
  }
}

function hasBlockOption(cmd: Cmd): boolean {
  // XREADGROUP GROUP <group> <consumer> ...: skip the names, a group called "block" is legal.
  for (let i = cmd[0] === "XREADGROUP" ? 4 : 1; i < cmd.length; i++) {
    const arg = String(cmd[i]).toUpperCase();
    if (arg === "BLOCK") return true;
    if (arg === "STREAMS") return false; // key names follow; "block" there would be a stream key
  }
  return false;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  if (Number(req.headers["content-length"]) > MAX_BODY) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size <= MAX_BODY) return void chunks.push(chunk);
      req.off("data", onData);
      req.resume(); // discard the rest
      reject(tooLarge());
    };
    req.on("data", onData);
    req.on("end", () => resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size)));
    req.on("error", reject);
  });
}

function tooLarge(): HttpError {
  return new HttpError(413, `ERR request body exceeds ${MAX_BODY} bytes`);
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString("utf8"));
  } catch {
    throw new HttpError(400, "ERR request body is not valid JSON");
  }
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HttpError(400, "ERR malformed URL encoding in path");
  }
}

function isReplyError(err: unknown): err is Error {
  return err instanceof Error && err.name === "ReplyError";
}

function send(res: ServerResponse, status: number, body: string, type = "application/json", extra?: Record<string, string>) {
  res.writeHead(status, { "content-type": type, "content-length": Buffer.byteLength(body), ...extra });
  res.end(body);
}

function sendError(res: ServerResponse, status: number, message: string): void {
  send(res, status, JSON.stringify({ error: message }));
}

function sha256(s: string): Buffer {
  return createHash("sha256").update(s).digest();
}

function parsePort(raw: string): number {
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`upstash-bridge: invalid port "${raw}"`);
  return port;
}

function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString().replace(/\/$/, "");
  } catch {
    return url;
  }
}

async function main(): Promise<void> {
  if (!process.env.UPSTASH_REDIS_REST_TOKEN) {
    console.error("upstash-bridge: UPSTASH_REDIS_REST_TOKEN is required (the bearer token clients must send)");
    process.exit(1);
  }
  let bridge: Bridge;
  try {
    bridge = await startBridge();
  } catch (err) {
    console.error((err as Error).message);
    process.exit(1);
  }
  console.log(`upstash-bridge listening on ${bridge.url} -> ${redactUrl(process.env.REDIS_URL ?? DEFAULT_REDIS_URL)}`);
  const stop = (): void => {
    process.once("SIGINT", () => process.exit(130)); // a second Ctrl-C skips the graceful close
    bridge.close().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(`upstash-bridge: error while closing: ${(err as Error).message}`);
        process.exit(1);
      },
    );
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

function invokedDirectly(): boolean {
  try {
    return process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url);
  } catch {
    return false; // argv[1] is not a file (REPL, node -e)
  }
}

if (invokedDirectly()) await main();
