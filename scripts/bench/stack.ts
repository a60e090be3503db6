/**
 * @module The processes a benchmark runs against: a private redis-server, the Upstash bridge and the
 * standalone API, each a direct child (node --import tsx, no npx) in its own process group, so its
 * pid is the process whose CPU we read and whose group we stop.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { Redis as IORedis } from 'ioredis';
import { limitOverrides } from '../../lib/rate-limit/table';
import { childPids } from '../../test/support/processes';

/** A started child process. */
export interface Proc {
  name: string;
  pid: number;
  /** performance.now() when it was spawned (≈ the start of a --cpu-prof profile). */
  startedAt: number;
  /** Where its output goes. */
  logFile: string;
  /** False once it has exited. */
  alive(): boolean;
  /** SIGTERM to its process group; resolves when it has exited (SIGKILL after 10 s). */
  stop(): Promise<void>;
}

const running = new Set<Proc>();

/** Stops every process this module started (for exit paths). */
export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((p) => p.stop()));
}

/** Spawns a command in its own process group, logging to logDir/name.log. */
export function startProcess(name: string, command: string, args: string[], env: NodeJS.ProcessEnv, logDir: string): Proc {
  const logFile = join(logDir, `${name}.log`);
  const log = createWriteStream(logFile);
  const child: ChildProcess = spawn(command, args, { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${name}`);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const proc: Proc = {
    name,
    pid,
    startedAt: performance.now(),
    logFile,
    alive: () => child.exitCode === null && child.signalCode === null,
    async stop() {
      running.delete(proc);
      if (child.exitCode !== null || child.signalCode !== null) return;
      try {
        process.kill(-pid, 'SIGTERM');
      } catch {
        return; // already gone
      }
      const timer = setTimeout(() => {
        try {
          process.kill(-pid, 'SIGKILL');
        } catch {
          // exited meanwhile
        }
      }, 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
  running.add(proc);
  return proc;
}

/** Polls a URL until it answers (any status) or the time runs out; fails at once if `proc` exits. */
export async function waitForUrl(url: string, seconds = 60, proc?: Proc): Promise<void> {
  const until = Date.now() + seconds * 1000;
  while (Date.now() < until) {
    if (proc && !proc.alive()) throw new Error(`${proc.name} exited while starting; see ${proc.logFile}`);
    try {
      await fetch(url, { signal: AbortSignal.timeout(1000) });
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  throw new Error(`no answer from ${url} after ${seconds} s`);
}

/** Runs a TypeScript entry point under node with tsx as the loader (plus extra node flags). */
export function startTs(name: string, entry: string, env: NodeJS.ProcessEnv, logDir: string, nodeFlags: string[] = []): Proc {
  return startProcess(name, process.execPath, [...nodeFlags, '--import', 'tsx', entry], env, logDir);
}

/** CPU seconds (user + system) a process and its live descendants (cluster workers) have used so far, from /proc (Linux). */
export async function cpuSeconds(pid: number): Promise<number | null> {
  try {
    const { readFile } = await import('node:fs/promises');
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15)
    const theirs = await Promise.all(childPids(pid).map((child) => cpuSeconds(child)));
    return ticks / 100 + theirs.reduce<number>((sum, s) => sum + (s ?? 0), 0); // USER_HZ is 100 on Linux
  } catch {
    return null;
  }
}

/** Where the bench's own Redis, bridge and database are. */
export interface BenchBackends {
  redisPort: number;
  bridgePort: number;
  /** The bridge's bearer token. */
  token: string;
  databaseUrl: string;
  /** Fresh app secrets (lib/config/secrets.ts). */
  secrets: Record<string, string>;
}

/**
 * The environment of the bridge and of an API on `port`: production settings over the bench's private
 * backends, a 20 s grace window, and every rate limit raised (every client comes from 127.0.0.1: the
 * limiters stay in the path but out of the way). `extra` adds or overrides variables.
 */
export function benchEnv(backends: BenchBackends, port: number, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    ...backends.secrets,
    NODE_ENV: 'production',
    PORT: String(port),
    APP_URL: `http://127.0.0.1:${port}`,
    UPSTASH_REDIS_REST_URL: `http://127.0.0.1:${backends.bridgePort}`,
    UPSTASH_REDIS_REST_TOKEN: backends.token,
    UPSTASH_BRIDGE_PORT: String(backends.bridgePort),
    REDIS_URL: `redis://127.0.0.1:${backends.redisPort}`,
    DATABASE_URL: backends.databaseUrl,
    PASSWORD_PBKDF2_ITERATIONS: '600000',
    REFRESH_GRACE_SECONDS: '20',
    ...limitOverrides('9999999/1'),
    ...extra,
  };
}

/**
 * Starts a private redis-server on `port` (INFO commandstats then counts only the bench's commands) and
 * resolves once it answers, with a client to it.
 */
export async function startBenchRedis(port: number, logDir: string): Promise<{ proc: Proc; redis: IORedis }> {
  const proc = startProcess(
    'redis',
    'redis-server',
    ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no'],
    process.env,
    logDir,
  );
  const redis = new IORedis(port, '127.0.0.1', { maxRetriesPerRequest: 20, retryStrategy: (n) => Math.min(n * 100, 1000) });
  redis.on('error', () => {}); // failures surface as rejected commands; don't spam reconnect errors
  await redis.ping();
  return { proc, redis };
}
