/**
 * The fault proxy as a process, for the browser tests and the chaos load test: fronts one TCP server and
 * takes its mode over a small HTTP control port on 127.0.0.1 (`POST /mode/<pass|stall|refuse|reset>`,
 * `GET /` for the mode and reset count).
 *
 *   tsx tools/fault-proxy/main.ts --listen 18090 --target 127.0.0.1:18079 --control 18091
 */
import http from 'node:http';
import { parseArgs } from 'node:util';
import { FAULT_MODES, startFaultProxy, type FaultMode } from './proxy';

const { values } = parseArgs({
  options: { listen: { type: 'string' }, target: { type: 'string' }, control: { type: 'string' } },
});
const [targetHost, targetPortText] = (values.target ?? '').split(':');
const port = Number(values.listen);
const targetPort = Number(targetPortText);
const controlPort = Number(values.control);
if (!targetHost || !Number.isInteger(port) || !Number.isInteger(targetPort) || !Number.isInteger(controlPort)) {
  console.error('usage: fault-proxy --listen <port> --target <host:port> --control <port>');
  process.exit(2);
}

const proxy = await startFaultProxy({ port, targetHost, targetPort });
const control = http.createServer((req, res) => {
  const requested = /^\/mode\/([a-z]+)$/.exec(req.url ?? '')?.[1];
  if (req.method === 'POST' && requested) {
    if (!FAULT_MODES.includes(requested as FaultMode)) {
      res.writeHead(400).end(`unknown mode; one of ${FAULT_MODES.join(', ')}\n`);
      return;
    }
    void proxy.setMode(requested as FaultMode).then(() => res.writeHead(204).end());
    return;
  }
  if (req.method === 'GET' && req.url === '/') {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ mode: proxy.mode, resets: proxy.resets }));
    return;
  }
  res.writeHead(404).end();
});
control.listen(controlPort, '127.0.0.1', () => {
  console.log(`fault-proxy :${proxy.port} -> ${targetHost}:${targetPort} (control :${controlPort})`);
});
const stop = () => void proxy.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
