/** The node:http transport of the Upstash client: protocol, error answers, timeouts, retries, read-your-writes. */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { errors } from '@upstash/redis';
import { createRedis } from './client';
import { nodeRequester } from './node-requester';

const seen: { path: string; auth: string | undefined; sync: string | undefined; body: string }[] = [];
let reply: (req: IncomingMessage, res: ServerResponse, body: string) => void = () => {};
const server = createServer((req, res) => {
  let body = '';
  req.on('data', (chunk: Buffer) => (body += chunk));
  req.on('end', () => {
    seen.push({
      path: req.url ?? '',
      auth: req.headers.authorization,
      sync: req.headers['upstash-sync-token'] as string | undefined,
      body,
    });
    reply(req, res, body);
  });
});
let url = '';
before(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => {
  server.closeAllConnections();
  server.close();
});
const json = (res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(value));
};

test('on Node the client uses this transport: commands and pipelines as Upstash REST, raw strings back', async () => {
  seen.length = 0;
  reply = (req, res, body) => {
    const commands = JSON.parse(body) as string[][];
    const headers = { 'upstash-sync-token': `sync-${seen.length}` };
    if (req.url === '/pipeline')
      json(
        res,
        200,
        commands.map((c) => ({ result: c[1] === 'k' ? '42' : `piped:${c[1]}` })),
        headers,
      );
    else json(res, 404, { error: 'unexpected single command' });
  };
  const redis = createRedis({ url, token: 'secret-token', timeoutMs: 2_000 });
  // Auto-pipelined, as with the client's own transport.
  assert.equal(await redis.get('k'), '42', 'no JSON guessing: "42" stays a string');
  const piped = await redis.pipeline().get('a').get('b').exec();
  assert.deepEqual(piped, ['piped:a', 'piped:b']);
  assert.equal(seen[0]!.path, '/pipeline');
  assert.deepEqual(JSON.parse(seen[0]!.body), [['get', 'k']]);
  assert.equal(seen[0]!.auth, 'Bearer secret-token');
  assert.deepEqual(JSON.parse(seen[1]!.body), [
    ['get', 'a'],
    ['get', 'b'],
  ]);
  assert.equal(seen[1]!.sync, 'sync-1', 'read-your-writes: the sync token of the last answer goes with the next request');
});

test('an error answer is an UpstashError; a timeout is a TimeoutError and is not retried; a refused connection is retried once', async () => {
  const requester = nodeRequester({ url, token: 't', timeoutMs: 300, retries: 1, backoffMs: 10 })!;
  reply = (_req, res) => json(res, 400, { error: 'WRONGTYPE Operation against a key holding the wrong kind of value' });
  await assert.rejects(
    requester.request({ body: ['get', 'k'] }),
    (error: unknown) => error instanceof errors.UpstashError && /WRONGTYPE/.test(error.message),
  );

  seen.length = 0;
  reply = () => {}; // never answers
  await assert.rejects(requester.request({ body: ['get', 'k'] }), { name: 'TimeoutError' });
  assert.equal(seen.length, 1, 'a timeout is not retried');

  // Nothing listens on port 9 of loopback.
  const refused = nodeRequester({ url: 'http://127.0.0.1:9', token: 't', timeoutMs: 1_000, retries: 1, backoffMs: 10 })!;
  await assert.rejects(refused.request({ body: ['get', 'k'] }), /ECONNREFUSED/);
});
