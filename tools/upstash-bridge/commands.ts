/** @module The bridge's commands: which are refused, how a body becomes a command, how replies are encoded, and Upstash's script flag. */
import { createHash } from 'node:crypto';

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

export type Arg = string | number | Buffer;
/** One Redis command: its upper-case name, then its arguments. */
export type Cmd = [name: string, ...args: Arg[]];

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Upstash's own shebang flag `#!lua flags=allow-key-locking` (sent by @upstash/ratelimit >= 2.1), which
 * redis-server refuses as an unknown flag. The bridge runs such scripts without that flag and remembers
 * which SHA-1 the client knows each one by, so EVALSHA, SCRIPT EXISTS and SCRIPT LOAD keep the client's SHA.
 */
export class UpstashShebang {
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

/** Run one command; redis errors become 400 `{error}` like Upstash, anything else (connection trouble) 500. */
export async function runOne(run: (cmd: Cmd) => Promise<unknown>, cmd: Cmd): Promise<unknown> {
  try {
    return await run(cmd);
  } catch (err) {
    if (isReplyError(err)) throw new HttpError(400, err.message);
    throw err;
  }
}

export async function runPipeline(run: (cmd: Cmd) => Promise<unknown>, cmds: Cmd[], base64: boolean) {
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

export async function runMulti(multi: (cmds: Cmd[]) => Promise<[Error | null, unknown][] | null>, cmds: Cmd[], base64: boolean) {
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
export function encode(value: unknown, base64: boolean): unknown {
  if (Buffer.isBuffer(value)) return base64 ? value.toString('base64') : value.toString('utf8');
  if (Array.isArray(value)) return value.map((v) => encode(v, base64));
  if (value instanceof Error) return encode(Buffer.from(value.message), base64); // error nested in a script reply
  return value ?? null;
}

export function parseCommand(raw: unknown): Cmd {
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

export function checkAllowed(cmd: Cmd): void {
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

export function isReplyError(err: unknown): err is Error {
  return err instanceof Error && err.name === 'ReplyError';
}

function sha1(s: Arg): string {
  return createHash('sha1')
    .update(Buffer.isBuffer(s) ? s : String(s))
    .digest('hex');
}
