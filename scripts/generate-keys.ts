/**
 * Prints env lines with fresh secrets: an ES256 (or EdDSA) access-token signing key and the random
 * secrets. `--rotate` puts a new key in front of the current ACCESS_TOKEN_SIGNING_KEYS (which keeps
 * verifying until you drop it), for zero-logout key rotation.
 *   npm run keys                      # all secrets, new deployment
 *   npm run keys -- --rotate          # only ACCESS_TOKEN_SIGNING_KEYS, new key first
 *   npm run keys -- --alg EdDSA
 */
import { freshSecrets, newSigningJwk } from '../lib/config/secrets';

const args = process.argv.slice(2);
const alg = args.includes('--alg') && args[args.indexOf('--alg') + 1] === 'EdDSA' ? 'EdDSA' : 'ES256';
if (args.includes('--rotate')) {
  const current = JSON.parse(process.env.ACCESS_TOKEN_SIGNING_KEYS ?? '[]') as unknown[];
  console.log(`ACCESS_TOKEN_SIGNING_KEYS='${JSON.stringify([await newSigningJwk(alg), ...current])}'`);
} else {
  for (const [name, value] of Object.entries(await freshSecrets(alg))) console.log(`${name}='${value}'`);
}
