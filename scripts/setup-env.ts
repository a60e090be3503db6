/**
 * Writes `.env.local` with working local defaults (the Upstash bridge, the local database, freshly
 * generated keys) unless it already exists. Never overwrites: delete the file to start over.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { freshSecrets, newSecret } from '../lib/config/secrets';

const file = process.argv[2] ?? '.env.local';
if (existsSync(file)) {
  console.log(`${file} exists; leaving it as it is.`);
} else {
  const secrets = await freshSecrets();
  const lines = {
    APP_URL: 'http://localhost:3000',
    UPSTASH_REDIS_REST_URL: 'http://127.0.0.1:8079',
    UPSTASH_REDIS_REST_TOKEN: newSecret(),
    // The edge route reaches the database over HTTP: the local Accelerate endpoint (scripts/db/local-accelerate.sh)
    // in front of the real PostgreSQL, whose direct URL migrations use.
    DATABASE_URL: 'prisma+postgres://localhost:51400/?api_key=local-dev',
    DATABASE_DIRECT_URL: 'postgresql://postgres@127.0.0.1:5432/authdev',
    // next dev has no socket for the app to read; Next.js fills X-Forwarded-For from it (docs/security.md).
    CLIENT_IP_SOURCE: 'proxy',
    TRUSTED_PROXY_HOPS: '1',
    // Local only: a lighter hash keeps sign-in snappy in development; production requires ≥ 600000.
    PASSWORD_PBKDF2_ITERATIONS: '100000',
    ...secrets,
  };
  writeFileSync(
    file,
    Object.entries(lines)
      .map(([k, v]) => `${k}='${v}'`)
      .join('\n') + '\n',
    { mode: 0o600 },
  );
  console.log(`wrote ${file} with local defaults and fresh secrets`);
}
