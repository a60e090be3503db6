/** Test helper: another spelling of a base64url string that decodes to the very same bytes. */
import assert from 'node:assert/strict';
import { fromBase64Url } from '../../lib/encoding/base64url';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * Flips the lowest bit of the last character. When the length is not a multiple of 4, that bit is
 * padding (16 bytes → 22 characters leave 4 unused bits, 32 bytes → 43 leave 2), so the bytes stay the same.
 */
export function base64urlAlias(text: string): string {
  const last = ALPHABET.indexOf(text.at(-1) ?? '');
  const alias = text.slice(0, -1) + ALPHABET[last ^ 1];
  assert.notEqual(alias, text);
  assert.deepEqual(fromBase64Url(alias), fromBase64Url(text), 'the alias must decode to the same bytes');
  return alias;
}
