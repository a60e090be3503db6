/**
 * Prints env lines with fresh secrets: an ES256 (or EdDSA) access-token signing key and the random
 * secrets. `--rotate` puts a new key in front of the current ACCESS_TOKEN_SIGNING_KEYS (which keeps
 * verifying until you drop it), for zero-logout key rotation.
 *   npm run keys                      # all secrets, new deployment
 *   npm run keys -- --rotate          # only ACCESS_TOKEN_SIGNING_KEYS, new key first
 *   npm run keys -- --alg EdDSA
 */
import { exportJWK, generateKeyPair } from 'jose';
import { toBase64Url, randomBytes } from '../lib/encoding/base64url';

/** A new private JWK with kid and alg set. */
export async function newSigningJwk(alg: 'ES256' | 'EdDSA' = 'ES256') {
  const { privateKey } = await generateKeyPair(alg, { extractable: true, ...(alg === 'EdDSA' ? { crv: 'Ed25519' } : {}) });
  const jwk = await exportJWK(privateKey);
  const kid = `${new Date().toISOString().slice(0, 10)}-${toBase64Url(randomBytes(4))}`;
  return { ...jwk, kid, alg };
}

/** A random secret suitable for AUTH_SECRET and friends. */
export const newSecret = () => toBase64Url(randomBytes(32));

/** The env lines for a fresh deployment. */
export async function freshSecrets(alg: 'ES256' | 'EdDSA' = 'ES256'): Promise<Record<string, string>> {
  return {
    AUTH_SECRET: newSecret(),
    ACCESS_TOKEN_SIGNING_KEYS: JSON.stringify([await newSigningJwk(alg)]),
    REFRESH_TOKEN_SECRET: newSecret(),
    OAUTH_CALLER_SECRET: newSecret(),
  };
}

if (process.argv[1]?.endsWith('generate-keys.ts')) {
  const args = process.argv.slice(2);
  const alg = args.includes('--alg') && args[args.indexOf('--alg') + 1] === 'EdDSA' ? 'EdDSA' : 'ES256';
  if (args.includes('--rotate')) {
    const current = JSON.parse(process.env.ACCESS_TOKEN_SIGNING_KEYS ?? '[]') as unknown[];
    console.log(`ACCESS_TOKEN_SIGNING_KEYS='${JSON.stringify([await newSigningJwk(alg), ...current])}'`);
  } else {
    for (const [name, value] of Object.entries(await freshSecrets(alg))) console.log(`${name}='${value}'`);
  }
}
