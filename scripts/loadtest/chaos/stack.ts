/**
 * @module The chaos run's own stack, every piece a real process on private ports: a redis-server primary and
 * a replica (AOF everysec, each in its own temp dir), the Upstash bridge, a fault proxy in front of the bridge
 * (the REST endpoint) and one in front of PostgreSQL, and the standalone API. Every child is stopped when the
 * run ends, fails or is interrupted.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, closeSync, readFileSync, statSync, truncateSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { Redis as IORedis } from 'ioredis';

/** One child process and where its output goes. */
export interface Child {
  name: string;
  proc: ChildProcess;
  log: string;
  /** Resolves with the exit code (or signal) once the process is gone. */
  exited: Promise<number | string | null>;
}

const children = new Set<Child>();
let hooked = false;

/** Kills every child still running (SIGKILL to its process group): the last resort on exit. */
function killAllNow(): void {
  for (const c of children) {
    try {
      process.kill(-(c.proc.pid ?? 0), 'SIGKILL');
    } catch {
      try {
        c.proc.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}

/** Makes sure no child outlives this process, whichever way it ends. */
function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', killAllNow);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const)
    process.on(signal, () => {
      killAllNow();
      process.exit(130);
    });
}

/** Starts a child in its own process group (so its grandchildren stop with it), output appended to `log`. */
export function startChild(name: string, command: string, args: string[], log: string, env?: NodeJS.ProcessEnv): Child {
  hookExit();
  const fd = openSync(log, 'a');
  const proc = spawn(command, args, { detached: true, stdio: ['ignore', fd, fd], env: env ?? process.env });
  closeSync(fd);
  const exited = new Promise<number | string | null>((resolve) => proc.once('exit', (code, signal) => resolve(code ?? signal)));
  const child: Child = { name, proc, log, exited };
  children.add(child);
  void exited.then(() => children.delete(child));
  return child;
}

/** Stops a child: `SIGKILL` at once (a crash), or SIGTERM and, after a few seconds, SIGKILL. */
export async function stopChild(child: Child, signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
  if (!children.has(child)) return;
  const send = (s: NodeJS.Signals) => {
    try {
      process.kill(-(child.proc.pid ?? 0), s);
    } catch {
      child.proc.kill(s);
    }
  };
  send(signal);
  const timer = setTimeout(() => send('SIGKILL'), 5000);
  await child.exited;
  clearTimeout(timer);
}

/** Stops every child still running. */
export async function stopAll(): Promise<void> {
  await Promise.all([...children].map((c) => stopChild(c)));
}

/** A free TCP port in [from, to] on 127.0.0.1 (the run's private range), skipping `taken`. */
export async function freePort(from: number, to: number, taken: Set<number>): Promise<number> {
  for (let port = from; port <= to; port++) {
    if (taken.has(port)) continue;
    const ok = await new Promise<boolean>((resolve) => {
      const server = net.createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
    if (ok) {
      taken.add(port);
      return port;
    }
  }
  throw new Error(`no free port in ${from}-${to}`);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` every 100 ms until it resolves true, or throws after `seconds`. */
export async function waitFor(what: string, check: () => Promise<boolean>, seconds: number): Promise<void> {
  const until = Date.now() + seconds * 1000;
  while (Date.now() < until) {
    if (await check().catch(() => false)) return;
    await sleep(100);
  }
  throw new Error(`${what} not ready after ${seconds} s`);
}

/** True when `url` answers any HTTP status. */
export const answers = (url: string) =>
  fetch(url, { signal: AbortSignal.timeout(1000) }).then(
    () => true,
    () => false,
  );

/** One Redis command through a short-lived connection (admin commands of the fault schedule). */
export async function redisCommand(port: number, ...args: string[]): Promise<unknown> {
  const redis = new IORedis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    return await redis.call(args[0] as string, ...args.slice(1));
  } finally {
    redis.disconnect();
  }
}

/** A redis-server with AOF (everysec) in its own directory; `replicaOf` makes it a replica. */
export class RedisNode {
  child: Child | undefined;
  constructor(
    readonly name: string,
    readonly port: number,
    readonly dir: string,
  ) {
    mkdirSync(dir, { recursive: true });
  }

  /** Starts (or restarts from its AOF) and waits until it has loaded its data. */
  async start(replicaOf?: number): Promise<void> {
    const args = ['--bind', '127.0.0.1', '--port', String(this.port), '--dir', this.dir, '--save', ''];
    args.push('--appendonly', 'yes', '--appendfsync', 'everysec', '--aof-load-truncated', 'yes');
    if (replicaOf !== undefined) args.push('--replicaof', '127.0.0.1', String(replicaOf));
    this.child = startChild(this.name, 'redis-server', args, join(this.dir, 'redis.log'));
    // PING answers LOADING while the AOF is read back: wait for the data, not just the socket.
    await waitFor(`${this.name} (port ${this.port})`, async () => (await redisCommand(this.port, 'PING')) === 'PONG', 30);
  }

  /** kill -9: the process dies with whatever it had not written. */
  async crash(): Promise<void> {
    if (this.child) await stopChild(this.child, 'SIGKILL');
    this.child = undefined;
  }

  /** The AOF file that takes new writes (Redis 7 multi-part AOF: the last `incr` file in the manifest). */
  incrementalAof(): string {
    const aofDir = join(this.dir, 'appendonlydir');
    const manifest = readFileSync(join(aofDir, 'appendonly.aof.manifest'), 'utf8');
    const incr = manifest
      .split('\n')
      .filter((line) => / type i\b/.test(line))
      .map((line) => /^file (\S+)/.exec(line)?.[1])
      .filter((f): f is string => Boolean(f))
      .at(-1);
    if (!incr) throw new Error(`${this.name}: no incremental AOF file in the manifest`);
    return join(aofDir, incr);
  }

  /** The size of the incremental AOF now. */
  aofSize(): number {
    return statSync(this.incrementalAof()).size;
  }

  /** Cuts the incremental AOF back to `size` bytes: what a power loss does to writes not yet fsynced. */
  truncateAof(size: number): number {
    const file = this.incrementalAof();
    const before = statSync(file).size;
    truncateSync(file, Math.min(size, before));
    return before - Math.min(size, before);
  }
}

/** A fault proxy process (tools/fault-proxy/main.ts), driven over its HTTP control port. */
export class FaultProxyProcess {
  child: Child | undefined;
  constructor(
    readonly name: string,
    readonly port: number,
    readonly controlPort: number,
    readonly target: string,
    private readonly log: string,
  ) {}

  /** Starts the proxy in `pass` mode. */
  async start(): Promise<void> {
    this.child = startChild(
      this.name,
      process.execPath,
      [
        '--import',
        'tsx',
        'tools/fault-proxy/main.ts',
        '--listen',
        String(this.port),
        '--target',
        this.target,
        '--control',
        String(this.controlPort),
      ],
      this.log,
    );
    await waitFor(this.name, () => answers(`http://127.0.0.1:${this.controlPort}/`), 60);
  }

  /** Switches the mode (pass, stall, refuse, reset). */
  async setMode(mode: 'pass' | 'stall' | 'refuse' | 'reset'): Promise<void> {
    const r = await fetch(`http://127.0.0.1:${this.controlPort}/mode/${mode}`, { method: 'POST' });
    if (r.status !== 204) throw new Error(`${this.name}: mode ${mode} answered ${r.status}`);
  }

  /** Connections reset mid-response so far. */
  async resets(): Promise<number> {
    const r = (await (await fetch(`http://127.0.0.1:${this.controlPort}/`)).json()) as { resets: number };
    return r.resets;
  }
}

/** A node script child (bridge, API) started with `node --import tsx`. */
export class NodeService {
  child: Child | undefined;
  constructor(
    readonly name: string,
    private readonly script: string,
    private readonly readyUrl: string,
    private readonly log: string,
  ) {}

  /** Starts with `env` and waits until `readyUrl` answers. */
  async start(env: NodeJS.ProcessEnv): Promise<void> {
    this.child = startChild(this.name, process.execPath, ['--import', 'tsx', this.script], this.log, env);
    const child = this.child;
    let gone = false;
    void child.exited.then(() => (gone = true));
    const until = Date.now() + 90_000;
    while (!(await answers(this.readyUrl))) {
      if (gone) throw new Error(`${this.name} exited at start; see ${this.log}`);
      if (Date.now() > until) throw new Error(`${this.name} not ready after 90 s; see ${this.log}`);
      await sleep(100);
    }
  }

  /** Graceful stop (SIGTERM). */
  async stop(): Promise<void> {
    if (this.child) await stopChild(this.child);
    this.child = undefined;
  }
}
