/** Access-token verification requires exp, iat, sub and sid, even on a token signed with the real key. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { newSigningJwk } from '../config/secrets';
import { signAccessToken, verifyAccessToken } from './access-token';
import { loadKeySet, type KeySet, type SigningJwk } from './keys';
import { codeOf } from '../../test/support/outcomes';

const settings = { issuer: 'https://auth.example', audience: 'api', ttlSeconds: 60 };

/** Every claim signAccessToken puts in a token, valid now. */
function fullClaims(): Record<string, unknown> {
  const iat = Math.floor(Date.now() / 1000);
  return {
    sid: 'family-1',
    provider: 'credentials',
    sub: 'user-1',
    iss: settings.issuer,
    aud: settings.audience,
    iat,
    exp: iat + settings.ttlSeconds,
    jti: crypto.randomUUID(),
  };
}

/** Signs `claims` exactly as given, with the key set's own signer (the real key, the real header). */
const signRaw = (keys: KeySet, claims: Record<string, unknown>) => keys.signer.sign(claims, 'at+jwt');

for (const alg of ['ES256', 'EdDSA'] as const) {
  test(`${alg}: a complete token verifies, both as signed by the app and as built here`, async () => {
    const keys = await loadKeySet([(await newSigningJwk(alg)) as SigningJwk]);
    const issued = await signAccessToken(keys, settings, { sub: 'user-1', sid: 'family-1', provider: 'credentials' });
    assert.equal(await codeOf(verifyAccessToken(keys, settings, issued.token)), 'ok');
    assert.equal(await codeOf(verifyAccessToken(keys, settings, await signRaw(keys, fullClaims()))), 'ok');
  });

  test(`${alg}: a token signed with the real key but missing exp, iat, sub or sid is refused`, async () => {
    const keys = await loadKeySet([(await newSigningJwk(alg)) as SigningJwk]);
    for (const claim of ['exp', 'iat', 'sub', 'sid']) {
      const { [claim]: _dropped, ...rest } = fullClaims();
      const token = await signRaw(keys, rest);
      assert.equal(await codeOf(verifyAccessToken(keys, settings, token)), 'invalid_token', `without ${claim}`);
    }
  });
}

test('required claims of the wrong type or empty are refused too', async () => {
  const keys = await loadKeySet([(await newSigningJwk('ES256')) as SigningJwk]);
  const variants: Array<[string, Record<string, unknown>]> = [
    ['exp as a string', { exp: String(Math.floor(Date.now() / 1000) + 60) }],
    ['exp null', { exp: null }],
    ['iat as a string', { iat: 'now' }],
    ['sub empty', { sub: '' }],
    ['sub a number', { sub: 42 }],
    ['sid empty', { sid: '' }],
    ['sid a number', { sid: 7 }],
    ['sid null', { sid: null }],
  ];
  for (const [name, change] of variants) {
    const token = await signRaw(keys, { ...fullClaims(), ...change });
    assert.equal(await codeOf(verifyAccessToken(keys, settings, token)), 'invalid_token', name);
  }
});
