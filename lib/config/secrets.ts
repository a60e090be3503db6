/** @module Fresh secrets and signing keys for a new deployment (`npm run keys`) and for tests; Web Crypto only. */
import { exportJWK, generateKeyPair } from 'jose';
import { randomBytes, toBase64Url } from '../encoding/base64url';

/** A new private JWK with kid and alg set. */
export async function newSigningJwk(alg: 'ES256' | 'EdDSA' = 'ES256') {
  const { privateKey } = await generateKeyPair(alg, { extractable: true, ...(alg === 'EdDSA' ? { crv: 'Ed25519' } : {}) });
  const jwk = await exportJWK(privateKey);
  const kid = `${new Date().toISOString().slice(0, 10)}-${toBase64Url(randomBytes(4))}`;
  return { ...jwk, kid, alg };
}

/** A random secret suitable for AUTH_SECRET and friends. */
export const newSecret = () => toBase64Url(randomBytes(32));

/** The secret env variables of a fresh deployment. */
export async function freshSecrets(alg: 'ES256' | 'EdDSA' = 'ES256'): Promise<Record<string, string>> {
  return {
    AUTH_SECRET: newSecret(),
    ACCESS_TOKEN_SIGNING_KEYS: JSON.stringify([await newSigningJwk(alg)]),
    REFRESH_TOKEN_SECRET: newSecret(),
    OAUTH_CALLER_SECRET: newSecret(),
    MFA_ENCRYPTION_KEY: newSecret(),
  };
}
