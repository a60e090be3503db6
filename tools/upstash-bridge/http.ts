/** @module The bridge's HTTP side: the Upstash REST routes (single command, path form, pipeline, multi-exec), auth and body limits. */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Backend } from './backends';
import {
  HttpError,
  UpstashShebang,
  checkAllowed,
  encode,
  parseCommand,
  runMulti,
  runOne,
  runPipeline,
  type Cmd,
} from './commands';

const MAX_BODY = 1024 * 1024;

/** One request as the bridge saw it. */
export interface RecordedRequest {
  path: string;
  commands: Cmd[];
  requestBytes: number;
  responseBytes: number;
}

export function createHandler(
  backend: Backend,
  token: string,
  commands: Set<string>,
  onRequest?: (request: RecordedRequest) => void,
) {
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
