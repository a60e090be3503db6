/**
 * A real Prometheus (Debian's `prometheus` package) for tests: its own config, TSDB in a temp directory, and
 * its web API on a private 127.0.0.1 port; it scrapes the given targets every second. Missing binaries fail
 * the test with the command that installs them, never a silent skip.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './processes';

export { freePort } from './processes';

/** A running Prometheus. */
export interface Prometheus {
  url: string;
  /** Polls an instant query until its first result satisfies `ok` (or 30 s pass); returns the value. */
  waitForValue(query: string, ok: (value: number) => boolean): Promise<number>;
  close(): Promise<void>;
}

/** The path of a Prometheus binary, or an error that says how to install it. */
export function requirePrometheusBinary(name: 'prometheus' | 'promtool'): string {
  const found = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).stdout.trim();
  if (!found) {
    throw new Error(
      `${name} is not installed: apt-get update && apt-get install -y prometheus (Debian's package has both binaries)`,
    );
  }
  return found;
}

/** Starts Prometheus scraping `targets` (host:port, path /metrics). */
export async function startPrometheus({ targets }: { targets: string[] }): Promise<Prometheus> {
  const binary = requirePrometheusBinary('prometheus');
  const dir = mkdtempSync(join(tmpdir(), 'prometheus-test-'));
  const config = join(dir, 'prometheus.yml');
  writeFileSync(
    config,
    [
      'global: { scrape_interval: 1s, evaluation_interval: 1s }',
      'scrape_configs:',
      '  - job_name: auth',
      `    static_configs: [{ targets: [${targets.map((t) => JSON.stringify(t)).join(', ')}] }]`,
      '',
    ].join('\n'),
  );
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(
    binary,
    [`--config.file=${config}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  child.stderr!.on('data', (chunk: Buffer) => (log = (log + chunk.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const close = async () => {
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) {
      await close();
      throw new Error(`prometheus exited at start:\n${log}`);
    }
    const ready = await fetch(`${url}/-/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline) {
      await close();
      throw new Error(`prometheus did not become ready in 30 s:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    async waitForValue(query, ok) {
      const until = Date.now() + 30_000;
      let last: unknown;
      for (;;) {
        const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(query)}`);
        last = await res.json();
        const result = (last as { data?: { result?: Array<{ value: [number, string] }> } }).data?.result?.[0];
        if (result && ok(Number(result.value[1]))) return Number(result.value[1]);
        if (Date.now() > until)
          throw new Error(`prometheus: ${query} never satisfied the check; last answer ${JSON.stringify(last)}`);
        await new Promise((r) => setTimeout(r, 500));
      }
    },
    close,
  };
}
