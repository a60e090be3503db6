/**
 * @module A TCP proxy that injects real network faults between a client and a server it fronts: the
 * REST endpoint stalling (bytes stop flowing both ways, so callers hit their own timeouts), refusing
 * connections (the listener is closed and open connections are reset, so the OS answers ECONNREFUSED), or
 * resetting every connection once the server starts answering (a reply lost mid-response). Used by the
 * browser tests, the API tests and the chaos load test, in front of the Upstash bridge, the API or
 * PostgreSQL. No latency or jitter modes: the kernel here has no netem, and these three are what our
 * promises are about (docs/reliability.md).
 */
import net from 'node:net';

/** What the proxy does with traffic now. */
export type FaultMode = 'pass' | 'stall' | 'refuse' | 'reset';

/** The modes, for validating input. */
export const FAULT_MODES: readonly FaultMode[] = ['pass', 'stall', 'refuse', 'reset'];

/** A running proxy. */
export interface FaultProxy {
  /** The port it listens on (kept across `refuse`, so clients reconnect to the same address). */
  readonly port: number;
  /** The current mode. */
  readonly mode: FaultMode;
  /** Connections reset mid-response since start (`reset` mode). */
  readonly resets: number;
  /** Switches the mode; resolves once the listener is closed (`refuse`) or open again. */
  setMode(mode: FaultMode): Promise<void>;
  close(): Promise<void>;
}

/** Where to listen and which server to front. */
export interface FaultProxyOptions {
  /** 0 picks a free port. */
  port?: number;
  host?: string;
  targetHost: string;
  targetPort: number;
}

interface Link {
  client: net.Socket;
  server: net.Socket;
  /** Chunks held back while stalled, per direction. */
  held: Array<{ to: net.Socket; chunk: Buffer }>;
}

/** Starts a proxy in `pass` mode. */
export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const host = options.host ?? '127.0.0.1';
  const links = new Set<Link>();
  let mode: FaultMode = 'pass';
  let resets = 0;
  let listener: net.Server | undefined;
  let port = options.port ?? 0;

  const forward = (link: Link, to: net.Socket, chunk: Buffer, fromServer: boolean) => {
    if (mode === 'stall') return void link.held.push({ to, chunk });
    if (mode === 'reset' && fromServer) {
      // The server has started answering: the client gets part of nothing, and a TCP reset.
      resets++;
      link.client.resetAndDestroy();
      link.server.destroy();
      return;
    }
    to.write(chunk);
  };

  const accept = (client: net.Socket) => {
    if (mode === 'refuse') return void client.resetAndDestroy();
    const server = net.connect(options.targetPort, options.targetHost);
    const link: Link = { client, server, held: [] };
    links.add(link);
    const end = () => {
      links.delete(link);
      client.destroy();
      server.destroy();
    };
    client.on('data', (chunk: Buffer) => forward(link, server, chunk, false));
    server.on('data', (chunk: Buffer) => forward(link, client, chunk, true));
    for (const socket of [client, server]) {
      socket.on('error', end);
      socket.on('close', end);
    }
  };

  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const server = net.createServer(accept);
      server.once('error', reject);
      server.listen(port, host, () => {
        port = (server.address() as net.AddressInfo).port;
        listener = server;
        resolve();
      });
    });

  const unlisten = () =>
    new Promise<void>((resolve) => {
      const server = listener;
      listener = undefined;
      if (!server) return resolve();
      server.close(() => resolve());
    });

  await listen();
  return {
    get port() {
      return port;
    },
    get mode() {
      return mode;
    },
    get resets() {
      return resets;
    },
    async setMode(next) {
      const previous = mode;
      mode = next;
      if (next === 'refuse') {
        // close() waits for every accepted connection to end, so the open ones are reset before it is awaited.
        const closing = unlisten();
        for (const link of links) link.client.resetAndDestroy();
        await closing;
        return;
      }
      if (previous === 'refuse') await listen();
      if (next === 'pass') {
        for (const link of links) for (const { to, chunk } of link.held.splice(0)) to.write(chunk);
      }
    },
    async close() {
      await unlisten();
      for (const link of links) {
        link.client.destroy();
        link.server.destroy();
      }
    },
  };
}
