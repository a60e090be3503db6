/**
 * @module Outgoing email (password-reset links), on Web-standard APIs so it runs on the edge too.
 * "webhook" POSTs each message as JSON to the deployment's own mail relay (any provider can sit behind
 * it); "outbox" keeps the newest messages in a Redis list for local use and tests, never in production.
 */
import type { Config } from '../config/env';
import type { Redis } from '../redis/client';

/** One plain-text email. */
export interface MailMessage {
  to: string;
  subject: string;
  text: string;
}

/** Sends email. */
export interface Mailer {
  send(message: MailMessage): Promise<void>;
}

/** The local outbox list, newest first. */
export const OUTBOX_KEY = 'auth:dev:outbox';
const OUTBOX_SIZE = 100;
const OUTBOX_TTL_SECONDS = 24 * 3600;
/** A relay that has not answered by then has failed; the person can ask again. */
const RELAY_TIMEOUT_MS = 10_000;

/** Keeps messages in Redis (local development and tests). */
export class OutboxMailer implements Mailer {
  constructor(
    private readonly redis: Redis,
    private readonly from: string,
  ) {}

  /** Pushes the message onto the outbox list. */
  async send(message: MailMessage): Promise<void> {
    const entry = JSON.stringify({ from: this.from, ...message, at: new Date().toISOString() });
    await this.redis
      .pipeline()
      .lpush(OUTBOX_KEY, entry)
      .ltrim(OUTBOX_KEY, 0, OUTBOX_SIZE - 1)
      .expire(OUTBOX_KEY, OUTBOX_TTL_SECONDS)
      .exec();
  }
}

/** POSTs `{from, to, subject, text}` with a Bearer token; any non-2xx answer is a failure. */
export class WebhookMailer implements Mailer {
  constructor(
    private readonly url: string,
    private readonly token: string,
    private readonly from: string,
  ) {}

  /** Delivers the message to the relay. */
  async send(message: MailMessage): Promise<void> {
    const res = await fetch(this.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${this.token}` },
      body: JSON.stringify({ from: this.from, ...message }),
      signal: AbortSignal.timeout(RELAY_TIMEOUT_MS),
    });
    await res.body?.cancel();
    if (!res.ok) throw new Error(`mail relay answered ${res.status}`);
  }
}

/** The configured mailer, or null when MAIL_TRANSPORT is "none" (password reset is then off). */
export function createMailer(
  config: Pick<Config, 'MAIL_TRANSPORT' | 'MAIL_WEBHOOK_URL' | 'MAIL_WEBHOOK_TOKEN' | 'MAIL_FROM' | 'APP_URL'>,
  redis: Redis,
): Mailer | null {
  const from = config.MAIL_FROM ?? `no-reply@${new URL(config.APP_URL).hostname}`;
  switch (config.MAIL_TRANSPORT) {
    case 'outbox':
      return new OutboxMailer(redis, from);
    case 'webhook':
      // parseConfig guarantees both for "webhook".
      return new WebhookMailer(config.MAIL_WEBHOOK_URL!, config.MAIL_WEBHOOK_TOKEN!, from);
    case 'none':
      return null;
  }
}
