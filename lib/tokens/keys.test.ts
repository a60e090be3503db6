/** Signing keys: JWKS without private parts, and key rotation that logs no one out. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UnsecuredJWT } from 'jose';
import { newSigningJwk } from '../config/secrets';
import { signAccessToken, verifyAccessToken } from './access-token';
import { loadKeySet, type SigningJwk } from './keys';
import { codeOf } from '../../test/support/outcomes';

const settings = { issuer: 'https://auth.example', audience: 'api', ttlSeconds: 60 };
const claims = { sub: 'user-1', sid: 'family-1', provider: 'credentials' };

test('the JWKS publishes public keys only, one per configured key', async () => {
  const keys = await loadKeySet([(await newSigningJwk('ES256')) as SigningJwk, (await newSigningJwk('EdDSA')) as SigningJwk]);
  assert.equal(keys.jwks.keys.length, 2);
  for (const jwk of keys.jwks.keys) {
    assert.equal(jwk.d, undefined);
    assert.equal(jwk.use, 'sig');
    assert.ok(jwk.kid);
  }
});

test('introducing a new key and later retiring the old one never refuses a token early', async () => {
  const oldKey = (await newSigningJwk('ES256')) as SigningJwk;
  const newKey = (await newSigningJwk('EdDSA')) as SigningJwk;
  const before = await loadKeySet([oldKey]);
  const issuedBefore = await signAccessToken(before, settings, claims);

  const during = await loadKeySet([newKey, oldKey]);
  assert.equal(await codeOf(verifyAccessToken(during, settings, issuedBefore.token)), 'ok', 'old tokens still verify');
  const issuedDuring = await signAccessToken(during, settings, claims);
  assert.equal(JSON.parse(atob(issuedDuring.token.split('.')[0]!)).kid, newKey.kid, 'new tokens use the new key');

  const after = await loadKeySet([newKey]);
  assert.equal(await codeOf(verifyAccessToken(after, settings, issuedDuring.token)), 'ok');
  assert.equal(await codeOf(verifyAccessToken(after, settings, issuedBefore.token)), 'invalid_token', 'retired key refused');
});

test('unsigned, expired, foreign-audience and duplicate-kid cases are refused', async () => {
  const key = (await newSigningJwk('ES256')) as SigningJwk;
  const keys = await loadKeySet([key]);
  const unsigned = new UnsecuredJWT({ sid: 's', provider: 'p' })
    .setSubject('u')
    .setIssuer(settings.issuer)
    .setAudience(settings.audience)
    .encode();
  assert.equal(await codeOf(verifyAccessToken(keys, settings, unsigned)), 'invalid_token');
  const expired = await signAccessToken(keys, settings, claims, Date.now() - 120_000);
  assert.equal(await codeOf(verifyAccessToken(keys, settings, expired.token)), 'token_expired');
  const foreign = await signAccessToken(keys, { ...settings, audience: 'other' }, claims);
  assert.equal(await codeOf(verifyAccessToken(keys, settings, foreign.token)), 'invalid_token');
  await assert.rejects(loadKeySet([key, { ...key }]), /duplicate kid/);
});
