/** `npm run keys`: rotate and retire each secret from the values in the env files, run as the operator runs it. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { secretList } from '../lib/config/env';
import { newSecret, newSigningJwk } from '../lib/config/secrets';

const script = fileURLToPath(new URL('./generate-keys.ts', import.meta.url));
const tsx = import.meta.resolve('tsx');
const dirs: string[] = [];
after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** A project folder holding `.env.local` with these values, as `npm run setup` or `vercel env pull` leaves it. */
function projectWith(values: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'keys-'));
  dirs.push(dir);
  writeFileSync(
    join(dir, '.env.local'),
    Object.entries(values)
      .map(([k, v]) => `${k}='${v}'\n`)
      .join(''),
  );
  return dir;
}

/** Runs the script in `cwd` as in development (.env.local is read), with only PATH and `env` in its environment. */
function keys(
  cwd: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', tsx, script, ...args],
      { cwd, env: { PATH: process.env.PATH ?? '', NODE_ENV: 'development', ...env }, encoding: 'utf8' },
      (error, stdout: string, stderr: string) => resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
    );
  });
}

/** The value of the one `NAME='value'` line printed. */
function printed(stdout: string, name: string): string {
  const lines = stdout.trim().split('\n');
  assert.equal(lines.length, 1, 'exactly one env line on stdout');
  const match = new RegExp(`^${name}='(.*)'$`).exec(lines[0]!);
  assert.ok(match, `a ${name}= line`);
  return match[1]!;
}

for (const name of ['AUTH_SECRET', 'REFRESH_TOKEN_SECRET', 'OAUTH_CALLER_SECRET']) {
  test(`rotate ${name} puts a new secret in front of the current ones; retire drops the oldest`, async () => {
    const [first, second] = [newSecret(), newSecret()];
    const dir = projectWith({ [name]: first });

    const rotated = await keys(dir, ['rotate', name]);
    assert.equal(rotated.code, 0, rotated.stderr);
    const list = secretList().parse(printed(rotated.stdout, name));
    assert.equal(list.length, 2);
    assert.equal(list[1], first, 'the current secret stays, behind the new one');
    assert.notEqual(list[0], first);
    assert.match(rotated.stderr, new RegExp(`npm run keys -- retire ${name}`), 'says what comes next');

    // A value set in the environment wins over the file, as it does for the app.
    const retired = await keys(dir, ['retire', name], { [name]: `${second},${first}` });
    assert.equal(retired.code, 0, retired.stderr);
    assert.equal(printed(retired.stdout, name), second);

    const last = await keys(dir, ['retire', name]);
    assert.equal(last.code, 1);
    assert.equal(last.stdout, '');
    assert.match(last.stderr, new RegExp(`${name} holds one value: retiring it would leave none`));
  });
}

test('--rotate still rotates the signing keys, as `rotate ACCESS_TOKEN_SIGNING_KEYS` does', async () => {
  const current = await newSigningJwk();
  const dir = projectWith({ ACCESS_TOKEN_SIGNING_KEYS: JSON.stringify([current]) });
  for (const args of [['--rotate'], ['rotate', 'ACCESS_TOKEN_SIGNING_KEYS', '--alg', 'EdDSA']]) {
    const run = await keys(dir, args);
    assert.equal(run.code, 0, run.stderr);
    const list = JSON.parse(printed(run.stdout, 'ACCESS_TOKEN_SIGNING_KEYS')) as { kid: string; alg: string; d?: string }[];
    assert.deepEqual(
      list.map((key) => key.kid),
      [list[0]!.kid, current.kid],
    );
    assert.notEqual(list[0]!.kid, current.kid);
    assert.ok(list[0]!.d, 'a private key');
    assert.equal(list[0]!.alg, args.includes('EdDSA') ? 'EdDSA' : 'ES256');
  }
});

test('without a command, fresh values for every secret of a new deployment', async () => {
  const run = await keys(projectWith({}), []);
  assert.equal(run.code, 0, run.stderr);
  const names = run.stdout
    .trim()
    .split('\n')
    .map((line) => line.slice(0, line.indexOf('=')));
  assert.deepEqual(names.sort(), [
    'ACCESS_TOKEN_SIGNING_KEYS',
    'AUTH_SECRET',
    'MFA_ENCRYPTION_KEY',
    'OAUTH_CALLER_SECRET',
    'REFRESH_TOKEN_SECRET',
  ]);
});

test('--help prints the usage', async () => {
  const run = await keys(projectWith({}), ['--help']);
  assert.equal(run.code, 0);
  assert.match(run.stdout, /npm run keys -- rotate <NAME>/);
  assert.match(run.stdout, /NAME: AUTH_SECRET, REFRESH_TOKEN_SECRET, OAUTH_CALLER_SECRET, ACCESS_TOKEN_SIGNING_KEYS/);
});

test('bad input: a clear message, nothing on stdout, exit 2 for usage and 1 for a current value that does not allow it', async () => {
  const dir = projectWith({ AUTH_SECRET: 'short-secret-from-long-ago' });
  const cases: [string[], number, RegExp][] = [
    [['rotate'], 2, /rotate needs the name of a variable/],
    [['rotate', 'DATABASE_URL'], 2, /DATABASE_URL is not a rotating secret/],
    [['retire', 'toString'], 2, /toString is not a rotating secret/],
    [['spin', 'AUTH_SECRET'], 2, /unknown command: spin/],
    [['rotate', 'AUTH_SECRET', 'extra'], 2, /unexpected argument: extra/],
    [['rotate', 'ACCESS_TOKEN_SIGNING_KEYS', '--alg', 'RS256'], 2, /--alg takes ES256 or EdDSA/],
    [['rotate', 'OAUTH_CALLER_SECRET'], 1, /OAUTH_CALLER_SECRET is not set in the environment or the env files/],
    [['rotate', 'AUTH_SECRET'], 1, /AUTH_SECRET: must be at least 32 characters/],
  ];
  for (const [args, code, message] of cases) {
    const run = await keys(dir, args);
    assert.equal(run.code, code, `${args.join(' ')}: ${run.stderr}`);
    assert.match(run.stderr, message);
    assert.equal(run.stdout, '');
    assert.ok(!run.stderr.includes('short-secret-from-long-ago'), 'the current secret is never echoed');
  }
});
