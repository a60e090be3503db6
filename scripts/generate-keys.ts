/**
 * Prints env lines with fresh secrets, or the next value of one secret during a rotation
 * (docs/operations.md, "Rotate a secret"). Every rotating variable lists its secrets newest first: the
 * first signs or encrypts, all verify or decrypt. Current values come from the environment and the same
 * env files the app reads (.env.local, .env, ...); only the new line goes to stdout, advice to stderr.
 *   npm run keys                                  # every secret, for a new deployment
 *   npm run keys -- rotate AUTH_SECRET            # a new secret in front of the current ones
 *   npm run keys -- retire AUTH_SECRET            # the current ones without the oldest
 *   npm run keys -- --rotate                      # the same as `rotate ACCESS_TOKEN_SIGNING_KEYS`
 *   npm run keys -- --alg EdDSA                   # EdDSA signing keys (with no command, or with rotate)
 * Exit codes: 0 done, 1 the current value does not allow it, 2 bad usage.
 */
import nextEnv from '@next/env';
import { secretList } from '../lib/config/env';
import { freshSecrets, newSecret, newSigningJwk } from '../lib/config/secrets';

/** How long after deploying a rotation the oldest value still protects something (docs/operations.md). */
const ROTATING = {
  AUTH_SECRET: 'SESSION_ABSOLUTE_TTL_SECONDS (30 days by default: the NextAuth session cookies it encrypted)',
  REFRESH_TOKEN_SECRET:
    'SESSION_IDLE_TTL_SECONDS (7 days by default: a token it tagged and not used since has gone idle by then)',
  OAUTH_CALLER_SECRET: 'a minute once every instance runs it (the caller proofs the old one signed)',
  ACCESS_TOKEN_SIGNING_KEYS: 'ACCESS_TOKEN_TTL_SECONDS (15 minutes by default: the access tokens it signed)',
  MFA_ENCRYPTION_KEY:
    'every TOTP seed re-sealed under the new key (npx tsx scripts/mfa-reseal.ts once the new value is deployed)',
} as const;
type Rotating = keyof typeof ROTATING;

const USAGE = `usage: npm run keys [-- --alg ES256|EdDSA]
       npm run keys -- rotate <NAME> [--alg ES256|EdDSA]
       npm run keys -- retire <NAME>
       npm run keys -- --rotate          (rotate ACCESS_TOKEN_SIGNING_KEYS)
NAME: ${Object.keys(ROTATING).join(', ')}`;

/** Stops with a message on stderr and an exit code (1: the current value, 2: usage). */
function fail(code: 1 | 2, message: string): never {
  console.error(code === 2 ? `${message}\n${USAGE}` : message);
  process.exit(code);
}

/** Reads the command line: no command, rotate or retire, a variable, and the key algorithm. */
function parseArgs(args: string[]): { command: 'fresh' | 'rotate' | 'retire'; name?: Rotating; alg: 'ES256' | 'EdDSA' } {
  if (args.includes('--help') || args.includes('-h')) {
    console.log(USAGE);
    process.exit(0);
  }
  const rest = [...args];
  let alg: 'ES256' | 'EdDSA' = 'ES256';
  const algAt = rest.indexOf('--alg');
  if (algAt !== -1) {
    const value = rest[algAt + 1];
    if (value !== 'ES256' && value !== 'EdDSA') fail(2, `--alg takes ES256 or EdDSA, not ${value ?? 'nothing'}`);
    alg = value;
    rest.splice(algAt, 2);
  }
  // The original flag, kept as an alias: it only ever rotated the signing keys.
  const flagAt = rest.indexOf('--rotate');
  if (flagAt !== -1) rest.splice(flagAt, 1, 'rotate', 'ACCESS_TOKEN_SIGNING_KEYS');
  const [command, name, ...extra] = rest;
  if (command === undefined) return { command: 'fresh', alg };
  if (command !== 'rotate' && command !== 'retire') fail(2, `unknown command: ${command}`);
  if (name === undefined) fail(2, `${command} needs the name of a variable`);
  if (!Object.hasOwn(ROTATING, name)) fail(2, `${name} is not a rotating secret`);
  if (extra.length > 0) fail(2, `unexpected argument: ${extra[0]}`);
  return { command, name: name as Rotating, alg };
}

/** The current list of a variable, newest first; stops when it is unset or invalid. */
function currentList(name: Rotating): unknown[] {
  const raw = process.env[name]?.trim();
  if (!raw)
    fail(
      1,
      `${name} is not set in the environment or the env files (.env.local, .env, ...); \`npm run keys\` prints a first value`,
    );
  if (name === 'ACCESS_TOKEN_SIGNING_KEYS') {
    let keys: unknown;
    try {
      keys = JSON.parse(raw);
    } catch {
      keys = undefined;
    }
    if (!Array.isArray(keys) || keys.length === 0) fail(1, `${name}: must be a JSON array of private JWKs`);
    return keys;
  }
  const parsed = secretList().safeParse(raw);
  if (!parsed.success) fail(1, `${name}: ${parsed.error.issues[0]?.message ?? 'is invalid'}`);
  return [...parsed.data];
}

/** The env line of a variable holding `list`. */
const envLine = (name: Rotating, list: unknown[]) =>
  `${name}='${name === 'ACCESS_TOKEN_SIGNING_KEYS' ? JSON.stringify(list) : list.join(',')}'`;

const { command, name, alg } = parseArgs(process.argv.slice(2));
if (command === 'fresh') {
  for (const [variable, value] of Object.entries(await freshSecrets(alg))) console.log(`${variable}='${value}'`);
} else {
  // Advice goes to stderr, so stdout is exactly the env line.
  nextEnv.loadEnvConfig(process.cwd(), process.env.NODE_ENV !== 'production', { info: () => {}, error: console.error });
  const variable = name!;
  const current = currentList(variable);
  if (command === 'rotate') {
    const next = [variable === 'ACCESS_TOKEN_SIGNING_KEYS' ? await newSigningJwk(alg) : newSecret(), ...current];
    console.log(envLine(variable, next));
    console.error(
      `${variable}: ${next.length} values, the new one first. Deploy it, wait ${ROTATING[variable]}, then retire the oldest: npm run keys -- retire ${variable}`,
    );
  } else {
    if (current.length < 2) {
      fail(1, `${variable} holds one value: retiring it would leave none (to replace it, rotate first, deploy, then retire)`);
    }
    const next = current.slice(0, -1);
    console.log(envLine(variable, next));
    console.error(
      `${variable}: the oldest of ${current.length} values dropped. Deploy this only once the rotation has been live for ${ROTATING[variable]}.`,
    );
  }
}
