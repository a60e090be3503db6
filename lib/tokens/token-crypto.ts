/**
 * @module The crypto of the token hot path behind one interface, picked by runtime: on Node, `node:crypto`
 * (native, synchronous HMAC/SHA-256 and ES256/EdDSA signatures); on the edge, @noble/hashes and jose
 * over Web Crypto. Both produce the same MACs and hashes byte for byte, and JWTs that verify with jose
 * against the same JWKS. On Node, jose's ES256 via Web Crypto cost ~3× the CPU of `node:crypto`'s.
 *
 * `node:crypto` is looked up at run time with `process.getBuiltinModule` (Node ≥ 20.16), never imported:
 * the edge bundle must not contain a `node:*` import (scripts/db/check-edge-bundle.ts checks it).
 * Where it is missing (edge, older Node), the Web path is used.
 */
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { importJWK, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import { toBase64Url } from '../encoding/base64url';
import { nodeBuiltin } from '../runtime/node-builtin';

/** HMAC-SHA-256 under one server secret, and plain SHA-256; results as unpadded base64url. */
export interface KeyedHashing {
  /** base64url of HMAC-SHA-256(secret, data), cut to its first `bytes` bytes (default all 32). */
  mac(data: string, bytes?: number): string;
  /** base64url of SHA-256(data). */
  hash(data: string): string;
}

/** Signs a JWT (compact JWS) with header `{ alg, kid, typ }` over `payload`. */
export type JwtSign = (payload: JWTPayload, typ: string) => Promise<string>;

/** A private signing JWK as configured (alg and kid required). */
export type PrivateJwk = JWK & { kid: string; alg: 'ES256' | 'EdDSA' };

/** One implementation of the token crypto. */
export interface TokenCrypto {
  readonly name: 'node:crypto' | 'web';
  keyedHashing(secret: string): KeyedHashing;
  jwtSigner(jwk: PrivateJwk): Promise<JwtSign>;
}

const encoder = new TextEncoder();

/** @noble/hashes and jose over Web Crypto: runs on every runtime. */
export const webTokenCrypto: TokenCrypto = {
  name: 'web',
  keyedHashing(secret) {
    // HMAC state with the key already absorbed; cloned per use instead of re-keying.
    const keyed = hmac.create(sha256, encoder.encode(secret));
    return {
      mac: (data, bytes) => {
        const digest = keyed.clone().update(encoder.encode(data)).digest();
        return toBase64Url(bytes === undefined ? digest : digest.subarray(0, bytes));
      },
      hash: (data) => toBase64Url(sha256(encoder.encode(data))),
    };
  },
  async jwtSigner(jwk) {
    const key = (await importJWK(jwk, jwk.alg)) as CryptoKey;
    return (payload, typ) => new SignJWT(payload).setProtectedHeader({ alg: jwk.alg, kid: jwk.kid, typ }).sign(key);
  },
};

type NodeCrypto = typeof import('node:crypto');
type NodeBuffer = typeof import('node:buffer').Buffer;

/** `node:crypto`, synchronous and native; the JWS compact form is assembled here (RFC 7515 §7.1). */
export function nodeTokenCrypto(): TokenCrypto | undefined {
  const crypto = nodeBuiltin<NodeCrypto>('node:crypto');
  const Buffer = nodeBuiltin<{ Buffer: NodeBuffer }>('node:buffer')?.Buffer;
  if (!crypto || !Buffer) return undefined;
  const b64 = (text: string) => Buffer.from(text).toString('base64url');
  // crypto.hash (one shot, Node ≥ 20.12) skips creating a Hash object.
  const oneShot = (crypto as { hash?: (alg: string, data: string, encoding: 'base64url') => string }).hash;
  return {
    name: 'node:crypto',
    keyedHashing(secret) {
      const key = crypto.createSecretKey(Buffer.from(secret));
      return {
        mac: (data, bytes) => {
          const digest = crypto.createHmac('sha256', key).update(data).digest();
          return (bytes === undefined ? digest : digest.subarray(0, bytes)).toString('base64url');
        },
        hash: oneShot
          ? (data) => oneShot('sha256', data, 'base64url')
          : (data) => crypto.createHash('sha256').update(data).digest('base64url'),
      };
    },
    async jwtSigner(jwk) {
      const key = crypto.createPrivateKey({ key: jwk as import('node:crypto').JsonWebKey, format: 'jwk' });
      // ES256 signatures in JWS are r‖s (IEEE P1363), not DER; Ed25519 takes no digest.
      const [digest, signingKey] = jwk.alg === 'ES256' ? ['sha256', { key, dsaEncoding: 'ieee-p1363' as const }] : [null, key];
      const headers = new Map<string, string>();
      return async (payload, typ) => {
        let header = headers.get(typ);
        if (header === undefined) headers.set(typ, (header = b64(JSON.stringify({ alg: jwk.alg, kid: jwk.kid, typ }))));
        const input = `${header}.${b64(JSON.stringify(payload))}`;
        return `${input}.${crypto.sign(digest, Buffer.from(input), signingKey).toString('base64url')}`;
      };
    },
  };
}

/** The implementation for this runtime: `node:crypto` on Node, Web Crypto on the edge. */
export const tokenCrypto: TokenCrypto = nodeTokenCrypto() ?? webTokenCrypto;
