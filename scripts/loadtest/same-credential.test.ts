/** The audits' token comparison: a token re-issued under a newer key is the same credential; anything else is not. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sameCredential } from './clients';

const token = (kid: string, tag: string, secret = 'S'.repeat(43), position = '5') =>
  `rt2.${'F'.repeat(22)}.abcdef.${position}.${kid}.${secret}.anch.${tag}`;

test('an rt2 token re-issued under a newer key (another id and tag) is the same credential', () => {
  assert.equal(sameCredential(token('kA00', 'T'.repeat(22)), token('kB00', 'U'.repeat(22))), true);
});

test('another secret or position is another token; rt1 tokens must match exactly', () => {
  assert.equal(sameCredential(token('kA00', 'T'.repeat(22)), token('kA00', 'T'.repeat(22), 'X'.repeat(43))), false);
  assert.equal(sameCredential(token('kA00', 'T'.repeat(22)), token('kA00', 'T'.repeat(22), undefined, '6')), false);
  assert.equal(sameCredential('rt1.a.b.c.d', 'rt1.a.b.c.e'), false);
  assert.equal(sameCredential('rt1.a.b.c.d', 'rt1.a.b.c.d'), true);
});
