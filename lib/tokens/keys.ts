/**
 * @module Access-token signing keys. Several keys may be configured: the first signs, every one
 * verifies and is published in the JWKS, so a new key can be introduced and an old one retired
 * without logging anyone out.
 */
import { importJWK, type CryptoKey, type JWK } from 'jose';
import { tokenCrypto, type JwtSign, type TokenCrypto } from './token-crypto';

/** A configured private JWK (validated by lib/config). */
export type SigningJwk = JWK & { kid: string; alg: 'ES256' | 'EdDSA'; d: string };

/** The imported key set. */
export interface KeySet {
  /** The first key: signs every new token (through token-crypto.ts, native on Node). */
  signer: { kid: string; alg: string; sign: JwtSign };
  verifiers: Map<string, { alg: string; key: CryptoKey }>;
  jwks: { keys: JWK[] };
}

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth'] as const;

/** The public half of a JWK: drops every private member. */
export function publicJwk(jwk: JWK): JWK {
  const pub: Record<string, unknown> = { ...jwk };
  for (const member of PRIVATE_MEMBERS) delete pub[member];
  delete pub.key_ops;
  return { ...(pub as JWK), use: 'sig' };
}

/** Imports the configured keys once; throws if two keys share a kid. `crypto` picks how the signer signs. */
export async function loadKeySet(jwks: SigningJwk[], crypto: TokenCrypto = tokenCrypto): Promise<KeySet> {
  const verifiers = new Map<string, { alg: string; key: CryptoKey }>();
  const published: JWK[] = [];
  let signer: KeySet['signer'] | undefined;
  for (const jwk of jwks) {
    if (verifiers.has(jwk.kid)) throw new Error(`ACCESS_TOKEN_SIGNING_KEYS: duplicate kid "${jwk.kid}"`);
    const pub = publicJwk(jwk);
    const verifyKey = (await importJWK(pub, jwk.alg)) as CryptoKey;
    verifiers.set(jwk.kid, { alg: jwk.alg, key: verifyKey });
    published.push(pub);
    signer ??= { kid: jwk.kid, alg: jwk.alg, sign: await crypto.jwtSigner(jwk) };
  }
  if (!signer) throw new Error('ACCESS_TOKEN_SIGNING_KEYS: needs at least one key');
  return { signer, verifiers, jwks: { keys: published } };
}
