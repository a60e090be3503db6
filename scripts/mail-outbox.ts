/**
 * `npm run mail:outbox`: prints the newest emails of the local outbox (MAIL_TRANSPORT=outbox, the default
 * outside production), e.g. a password-reset link while developing. Reads the same env files as the app.
 */
import nextEnv from '@next/env';
import { getConfig } from '../lib/config/env';
import { OUTBOX_KEY } from '../lib/mail/mailer';
import { createRedis } from '../lib/redis/client';

nextEnv.loadEnvConfig(process.cwd(), true);
const config = getConfig();
if (config.MAIL_TRANSPORT !== 'outbox') {
  console.error(`MAIL_TRANSPORT is "${config.MAIL_TRANSPORT}": emails do not go to the local outbox.`);
  process.exit(1);
}
const redis = createRedis({
  url: config.UPSTASH_REDIS_REST_URL,
  token: config.UPSTASH_REDIS_REST_TOKEN,
  timeoutMs: config.REDIS_TIMEOUT_MS,
});
const count = Number(process.argv[2] ?? 5);
const mails = (await redis.lrange<string>(OUTBOX_KEY, 0, count - 1)).map((line) => JSON.parse(line) as Record<string, string>);
if (mails.length === 0) console.log('The outbox is empty.');
for (const m of mails) console.log(`--- ${m.at}\nFrom: ${m.from}\nTo: ${m.to}\nSubject: ${m.subject}\n\n${m.text}`);
