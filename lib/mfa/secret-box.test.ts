/** The TOTP seed box: a key ring that rotates without locking anyone out, bound to its owner. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { newSecret } from '../config/secrets';
import { SecretBox, SecretBoxError } from './secret-box';

test('a seed sealed under the old key opens after a new key goes in front, and is then stale', async () => {
  const [oldKey, newKey] = [newSecret(), newSecret()];
  const sealed = await new SecretBox([oldKey]).seal('JBSWY3DPEHPK3PXP', 'user-1');
  assert.ok(!sealed.includes('JBSWY3DPEHPK3PXP'));
  const rotated = new SecretBox([newKey, oldKey]);
  assert.equal(await rotated.open(sealed, 'user-1'), 'JBSWY3DPEHPK3PXP');
  assert.equal(await rotated.isStale(sealed), true);
  const resealed = await rotated.seal('JBSWY3DPEHPK3PXP', 'user-1');
  assert.equal(await rotated.isStale(resealed), false);
  // Once the old key is retired, only what was re-sealed still opens.
  const retired = new SecretBox([newKey]);
  assert.equal(await retired.open(resealed, 'user-1'), 'JBSWY3DPEHPK3PXP');
  await assert.rejects(retired.open(sealed, 'user-1'), /removed too early/);
});

test('a sealed seed copied to another user, or altered, does not open', async () => {
  const box = new SecretBox([newSecret()]);
  const sealed = await box.seal('JBSWY3DPEHPK3PXP', 'user-1');
  await assert.rejects(box.open(sealed, 'user-2'), SecretBoxError);
  const [v, id, iv, body] = sealed.split('.');
  const flipped = `${v}.${id}.${iv}.${body!.slice(0, -2)}${body!.endsWith('AA') ? 'BA' : 'AA'}`;
  await assert.rejects(box.open(flipped, 'user-1'), SecretBoxError);
  await assert.rejects(box.open('garbage', 'user-1'), /malformed/);
});
