/** The local outbox (MAIL_TRANSPORT=outbox) as tests read it: mails to one address, and the token of a mailed link. */
import assert from 'node:assert/strict';
import { OUTBOX_KEY } from '../../lib/mail/mailer';
import type { Redis } from '../../lib/redis/client';

/** One email in the outbox. */
export interface OutboxMail {
  to: string;
  subject: string;
  text: string;
  from: string;
}

/** Mails in the local outbox to one address, newest first. */
export async function outbox(redis: Redis, to: string): Promise<OutboxMail[]> {
  const lines = await redis.lrange<string>(OUTBOX_KEY, 0, -1);
  return lines.map((line) => JSON.parse(line) as OutboxMail).filter((mail) => mail.to === to);
}

/** The token of the newest link to `page` (e.g. "/reset-password") mailed to `to`; asserts the link points at the app. */
export async function mailedToken(redis: Redis, to: string, appUrl: string, page: string): Promise<string> {
  const target = new URL(page, appUrl).toString();
  const links = (await outbox(redis, to)).map(
    (mail) => new URL(/https?:\/\/\S+\?token=\S+/.exec(mail.text)?.[0] ?? 'http://none.invalid/'),
  );
  const url = links.find((link) => link.origin + link.pathname === target);
  assert.ok(url, `a mail to ${to} with a link to ${target}`);
  return url.searchParams.get('token')!;
}
