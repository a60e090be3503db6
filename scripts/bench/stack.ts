/**
 * @module The processes a benchmark runs against: a private redis-server, the Upstash bridge and the
 * standalone API, each a direct child (node --import tsx, no npx) in its own process group, so its
 * pid is the process whose CPU we read and whose group we stop.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
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

/** Runs a TypeScript entry point under node with tsx as the loader (plus extra node flags), on `cpus` when given. */
export function startTs(
  name: string,
  entry: string,
  env: NodeJS.ProcessEnv,
  logDir: string,
  nodeFlags: string[] = [],
  cpus?: string,
): Proc {
  const node = [process.execPath, ...nodeFlags, '--import', 'tsx', entry];
  // taskset execs node in place, so the pid (whose CPU is read) is node's.
  return cpus
    ? startProcess(name, 'taskset', ['-c', cpus, ...node], env, logDir)
    : startProcess(name, node[0]!, node.slice(1), env, logDir);
}

/** Which CPUs the API has to itself and which everything else shares (the bench itself, bridge, redis-server). */
export interface CpuPlan {
  api: string;
  rest: string;
}

/** The CPUs of a Linux CPU list such as `taskset -c -p` prints (`0-3,5`); an empty array for anything else. */
export function parseCpuList(text: string): number[] {
  const cpus: number[] = [];
  for (const part of text.trim().split(',')) {
    const match = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!match) return [];
    const from = Number(match[1]);
    const to = match[2] === undefined ? from : Number(match[2]);
    for (let cpu = from; cpu <= to; cpu++) cpus.push(cpu);
  }
  return cpus;
}

/** The CPUs this process may run on, from `taskset` (Linux); empty when it cannot tell. */
function allowedCpus(): number[] {
  try {
    // "pid 123's current affinity list: 0,1"
    const output = execFileSync('taskset', ['-c', '-p', String(process.pid)], { encoding: 'utf8' });
    return parseCpuList(output.slice(output.lastIndexOf(':') + 1));
  } catch {
    return [];
  }
}

/**
 * Gives the API `apiCpus` CPUs of its own and moves this process (and so every child it starts later but
 * the API) to the others, as a server runs in production: its CPU is then not charged for sharing cores and
 * caches with the load generator, bridge and redis-server. Undefined, and nothing pinned, when there are not
 * enough CPUs or no taskset.
 */
export function pinCpus(apiCpus: number): CpuPlan | undefined {
  const cpus = allowedCpus();
  if (cpus.length <= apiCpus) return undefined;
  const plan = { api: cpus.slice(0, apiCpus).join(','), rest: cpus.slice(apiCpus).join(',') };
  // -a: every thread of this process, libuv's pool and V8's workers included.
  execFileSync('taskset', ['-a', '-c', '-p', plan.rest, String(process.pid)], { stdio: 'ignore' });
  return plan;
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
