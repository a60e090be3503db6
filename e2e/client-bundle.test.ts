/** The app that e2e.sh just built ships no secret to browsers: its client bundle is grepped for every secret value. */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

function* files(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* files(path);
    else yield path;
  }
}

/** The secret values the server was built and started with (exported by scripts/test/e2e.sh). */
function secrets(): Array<[string, string]> {
  const env = process.env;
  const named = [
    'AUTH_SECRET',
    'REFRESH_TOKEN_SECRET',
    'OAUTH_CALLER_SECRET',
    'UPSTASH_REDIS_REST_TOKEN',
    'AUTH_OIDC_SECRET',
    'MAIL_WEBHOOK_TOKEN',
  ]
    .filter((name) => env[name])
    .map((name) => [name, env[name]!] as [string, string]);
  const keys = JSON.parse(env.ACCESS_TOKEN_SIGNING_KEYS ?? '[]') as Array<{ kid: string; d: string }>;
  return [...named, ...keys.map((k) => [`ACCESS_TOKEN_SIGNING_KEYS[${k.kid}].d`, k.d] as [string, string])];
}

test('no secret value appears anywhere in the client bundle (.next/static)', () => {
  const found = secrets();
  assert.ok(found.length >= 5, 'the e2e environment provides the secrets to look for');
  let scanned = 0;
  for (const file of files('.next/static')) {
    const text = readFileSync(file, 'latin1');
    scanned++;
    for (const [name, value] of found) assert.ok(!text.includes(value), `${name} leaked into ${file}`);
  }
  assert.ok(scanned > 10, `scanned ${scanned} client files`);
});
