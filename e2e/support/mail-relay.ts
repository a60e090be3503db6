/**
 * @module A mail relay for the browser tests: the app's webhook transport POSTs each email here (Bearer
 * token checked); the tests read them back with GET /messages?to=<address>. Run: `tsx e2e/support/mail-relay.ts`
 * with E2E_MAIL_RELAY_PORT and MAIL_WEBHOOK_TOKEN, as scripts/test/e2e.sh does.
 */
import { createServer } from 'node:http';

/** One email as the app sent it. */
export interface RelayedMail {
  from: string;
  to: string;
  subject: string;
  text: string;
}

const port = Number(process.env.E2E_MAIL_RELAY_PORT ?? 3198);
const token = process.env.MAIL_WEBHOOK_TOKEN ?? '';
if (token.length < 16) throw new Error('mail relay: MAIL_WEBHOOK_TOKEN (≥ 16 characters) is required');
const mails: RelayedMail[] = [];

createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://relay');
  if (req.method === 'GET' && url.pathname === '/messages') {
    const to = url.searchParams.get('to');
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify(mails.filter((m) => !to || m.to === to).reverse()));
    return;
  }
  if (req.method !== 'POST' || url.pathname !== '/send') return void res.writeHead(404).end();
  if (req.headers.authorization !== `Bearer ${token}`) return void res.writeHead(401).end();
  let body = '';
  req.on('data', (chunk: Buffer) => (body += chunk));
  req.on('end', () => {
    mails.push(JSON.parse(body) as RelayedMail);
    res.writeHead(202).end();
  });
}).listen(port, '127.0.0.1', () => console.log(`mail relay on http://127.0.0.1:${port}`));
