/** Token crypto on both paths: `node:crypto` (Node) and jose/@noble (edge) agree byte for byte and verify alike. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { newSigningJwk } from '../config/secrets';
import { signAccessToken, verifyAccessToken } from './access-token';
import { loadKeySet, type SigningJwk } from './keys';
import { RefreshTokenCodec } from './refresh-token';
import { nodeTokenCrypto, tokenCrypto, webTokenCrypto, type TokenCrypto } from './token-crypto';

const settings = { issuer: 'https://auth.example', audience: 'api', ttlSeconds: 60 };
const claims = { sub: 'user-1', sid: 'family-1', provider: 'credentials' };
const secret = 'token-crypto-test-secret-'.repeat(2);
const node = nodeTokenCrypto();
const paths: [string, TokenCrypto][] = [
  ['node:crypto', node!],
  ['web', webTokenCrypto],
];

test('on Node the hot path uses node:crypto', () => {
  assert.ok(node, 'process.getBuiltinModule finds node:crypto');
  assert.equal(tokenCrypto.name, 'node:crypto');
  assert.equal(webTokenCrypto.name, 'web');
});

test('MACs and hashes are byte-identical on both paths, and match the known HMAC/SHA-256 values', () => {
  const [n, w] = [node!.keyedHashing('key'), webTokenCrypto.keyedHashing('key')];
  // A published vector: HMAC-SHA-256("key", "The quick brown fox jumps over the lazy dog").
  const fox = 'The quick brown fox jumps over the lazy dog';
  const macBytes = Buffer.from('f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8', 'hex');
  const expectedMac = macBytes.toString('base64url');
  assert.equal(n.mac(fox), expectedMac);
  assert.equal(w.mac(fox), expectedMac);
  assert.equal(n.mac(fox, 16), macBytes.subarray(0, 16).toString('base64url'));
  assert.equal(w.mac(fox, 16), n.mac(fox, 16));
  const expectedHash = Buffer.from('d7a8fbb307d7809469ca9abcb0082e4f8d5651e46d3cdb762d02d0bf37c9e592', 'hex').toString(
    'base64url',
  );
  assert.equal(n.hash(fox), expectedHash);
  assert.equal(w.hash(fox), expectedHash);
  for (const text of ['', 'é ünïcode ✓', 'x'.repeat(1000)]) {
    assert.equal(n.mac(text), w.mac(text));
    assert.equal(n.hash(text), w.hash(text));
  }
});

test('refresh tokens: either codec parses the other’s tokens and derives the same successor and hashes', () => {
  const [n, w] = [RefreshTokenCodec.create(secret, node), RefreshTokenCodec.create(secret, webTokenCrypto)];
  for (const [minter, other] of [
    [n, w],
    [w, n],
  ] as const) {
    const first = minter.mint(minter.newFamilyId(), Date.now() + 86_400_000);
    const parsed = other.parse(first.raw);
    assert.ok(parsed, 'the other path accepts the token');
    assert.deepEqual(parsed, minter.parse(first.raw));
    const next = minter.successor(first);
    assert.equal(other.successor(parsed).raw, next.raw);
    assert.equal(other.hash(parsed), minter.hash(first));
    assert.equal(other.hash(next), minter.hash(next));
    // A forged tag is refused by both.
    const forged = `${first.raw.slice(0, -1)}${first.raw.endsWith('A') ? 'B' : 'A'}`;
    assert.equal(minter.parse(forged), null);
    assert.equal(other.parse(forged), null);
  }
});

for (const alg of ['ES256', 'EdDSA'] as const) {
  test(`${alg} access tokens signed on either path verify with jose against the same JWKS`, async () => {
    const jwk = (await newSigningJwk(alg)) as SigningJwk;
    const sets = await Promise.all(paths.map(([, crypto]) => loadKeySet([jwk], crypto)));
    assert.deepEqual(sets[0]!.jwks, sets[1]!.jwks, 'one JWKS whichever path signs');
    const jwks = createLocalJWKSet(sets[0]!.jwks);
    for (const [i, [name]] of paths.entries()) {
      const issued = await signAccessToken(sets[i]!, settings, claims);
      assert.deepEqual(decodeProtectedHeader(issued.token), { alg, kid: jwk.kid, typ: 'at+jwt' }, name);
      const { payload } = await jwtVerify(issued.token, jwks, {
        issuer: settings.issuer,
        audience: settings.audience,
        typ: 'at+jwt',
      });
      assert.equal(payload.sub, claims.sub, name);
      assert.equal(payload.sid, claims.sid, name);
      assert.equal(payload.exp, Math.floor(issued.expiresAt / 1000), name);
      assert.match(String(payload.jti), /^[0-9a-f-]{36}$/, name);
      // The app's own verifier, with the key set of the other path.
      const claimsSeen = await verifyAccessToken(sets[1 - i]!, settings, issued.token);
      assert.equal(claimsSeen.provider, claims.provider, name);
      // A flipped signature byte is refused.
      const [h, p, s] = issued.token.split('.') as [string, string, string];
      const sig = Buffer.from(s, 'base64url');
      sig[0]! ^= 1;
      await assert.rejects(jwtVerify(`${h}.${p}.${sig.toString('base64url')}`, jwks), name);
    }
  });
}
