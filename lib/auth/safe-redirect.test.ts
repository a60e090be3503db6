/** Post-sign-in destinations: same-origin paths pass, every known way of smuggling in another host falls back. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MAX_REDIRECT_LENGTH, safeRedirectPath } from './safe-redirect';

const APP_URL = 'http://127.0.0.1:3000';
const FALLBACK = '/account';
const resolve = (value: unknown) => safeRedirectPath(value, APP_URL, FALLBACK);

describe('kept: same-origin destinations, as path and query', () => {
  const kept: Array<[string, string]> = [
    ['/account', '/account'],
    ['/', '/'],
    ['/account?tab=devices', '/account?tab=devices'],
    ['/account?next=%2F%2Fevil.example', '/account?next=%2F%2Fevil.example'], // in the query, a slash is data
    ['/signin?error=OAuthAccountNotLinked', '/signin?error=OAuthAccountNotLinked'],
    ['/account#devices', '/account'], // the fragment is dropped
    ['/a/b/../c', '/a/c'],
    ['/a/./b', '/a/b'],
    ['/@evil.example', '/@evil.example'], // a path on this site, not userinfo
    ['/evil.example', '/evil.example'],
    ['/caf%C3%A9', '/caf%C3%A9'],
    ['/%E2%80%99', '/%E2%80%99'], // UTF-8 bytes 0x80-0x9F are no control characters
    ['/caf\u00e9', '/caf%C3%A9'],
    ['/a%2Fb', '/a%2Fb'], // an encoded slash inside a path segment cannot start a host
    ['/100%', '/100%'],
    ['account', '/account'], // relative to the origin
    ['?tab=devices', '/?tab=devices'],
    ['http://127.0.0.1:3000/account?x=1', '/account?x=1'],
    ['HTTP://127.0.0.1:3000/account', '/account'],
    ['http://127.0.0.1:3000', '/'],
    ['\uff0f\uff0fevil.example', '/%EF%BC%8F%EF%BC%8Fevil.example'], // fullwidth solidus: a relative path, encoded
    ['/\u2028/evil.example', '/%E2%80%A8/evil.example'], // a line separator is no control character to the parser
    ['http:evil.example', '/evil.example'], // our scheme without slashes is a relative path (as in browsers)
  ];
  for (const [value, expected] of kept) {
    test(JSON.stringify(value), () => assert.equal(resolve(value), expected));
  }
});

describe('refused: anything that could reach another host, or is not a string', () => {
  const refused: Array<[string, unknown]> = [
    // Tab and newline, raw or encoded: the URL parser drops the raw ones, leaving `//evil.example`.
    ['tab, raw', '/\t/evil.example'],
    ['tab, encoded', '/%09/evil.example'],
    ['tab, encoded twice', '/%2509/evil.example'],
    ['newline, raw', '/\n/evil.example'],
    ['newline, encoded', '/%0a/evil.example'],
    ['carriage return, raw', '/\r/evil.example'],
    ['carriage return, encoded', '/%0D/evil.example'],
    ['NUL, encoded', '/account%00'],
    ['DEL, raw', '/account\u007f'],
    ['C1 control, raw', '/account\u0085'],
    ['a control in the query', '/account?x=\n'],
    ['a control in the fragment', '/account#\t'],
    ['leading tab', '\t//evil.example'],
    // Dot segments that resolve to a path starting with `//`.
    ['dot segment', '/.//evil.example'],
    ['dot-dot segment', '/account/..//evil.example'],
    ['encoded dot-dot', '/account/%2e%2e//evil.example'],
    ['dot-dot past the root', '/../..//evil.example'],
    // Backslashes, which browsers read as slashes in http(s) URLs.
    ['backslash', '/\\evil.example'],
    ['two backslashes', '\\\\evil.example'],
    ['slash backslash', '/\\/evil.example'],
    ['encoded backslash', '/%5Cevil.example'],
    ['encoded backslash, lower case', '/%5cevil.example'],
    ['encoded backslash twice', '/%255Cevil.example'],
    ['encoded backslash later in the path', '/account/%5C'],
    // Encoded slashes that decode to a path starting with `//`.
    ['encoded slashes', '/%2F%2Fevil.example'],
    ['encoded slash after a slash', '/%2Fevil.example'],
    ['encoded slashes, lower case', '/%2f%2fevil.example'],
    ['encoded slashes twice', '/%252F%252Fevil.example'],
    ['encoded slashes three times', '/%25252F%25252Fevil.example'],
    ['encoded slashes four times', '/%2525252F%2525252Fevil.example'],
    ['encoded slashes behind a dot-dot', '/account/..%2F%2Fevil.example'],
    ['encoded dot-dot and slashes', '/account/%2e%2e%2f%2fevil.example'],
    // Other origins.
    ['protocol-relative', '//evil.example'],
    ['protocol-relative with path', '//evil.example/account'],
    ['triple slash', '///evil.example'],
    ['absolute, another host', 'http://evil.example/account'],
    ['absolute, https', 'https://evil.example'],
    ['absolute, another port', 'http://127.0.0.1:3001/account'],
    ['absolute, another scheme', 'https://127.0.0.1:3000/account'],
    ['absolute, a look-alike subdomain', 'http://127.0.0.1.evil.example:3000/account'],
    ['absolute, same origin with a `//` path', 'http://127.0.0.1:3000//evil.example'],
    ['another scheme without slashes', 'https:evil.example'],
    ['javascript:', 'javascript:alert(document.domain)'],
    ['javascript:, mixed case and a tab', 'java\tscript:alert(1)'],
    ['data:', 'data:text/html,<script>alert(1)</script>'],
    ['leading space before `//`', ' //evil.example'],
    // Userinfo tricks.
    ['userinfo on our origin', 'http://evil.example@127.0.0.1:3000/account'],
    ['our origin as userinfo', 'http://127.0.0.1:3000@evil.example/account'],
    ['userinfo after `//`', '//@evil.example'],
    ['userinfo with a password', 'http://user:pass@127.0.0.1:3000/'],
    // Not a usable string.
    ['empty', ''],
    ['very long', `/${'a'.repeat(MAX_REDIRECT_LENGTH)}`],
    ['very long payload', `/.//evil.example/${'a'.repeat(100_000)}`],
    ['undefined', undefined],
    ['null', null],
    ['a number', 42],
    ['an array', ['/account']],
    ['an object', { toString: () => '/account' }],
  ];
  for (const [name, value] of refused) {
    test(name, () => assert.equal(resolve(value), FALLBACK));
  }
});

test('the fallback is returned as given', () => {
  assert.equal(safeRedirectPath('//evil.example', APP_URL, '/'), '/');
});

test('a value of exactly the maximum length is still kept', () => {
  const value = `/${'a'.repeat(MAX_REDIRECT_LENGTH - 1)}`;
  assert.equal(resolve(value), value);
});

test('resolution uses the origin of APP_URL, whatever path APP_URL has', () => {
  assert.equal(safeRedirectPath('/account', 'https://auth.example/base/', FALLBACK), '/account');
  assert.equal(safeRedirectPath('https://auth.example/x', 'https://auth.example/base/', FALLBACK), '/x');
  assert.equal(safeRedirectPath('http://auth.example/x', 'https://auth.example/', FALLBACK), FALLBACK);
});

test('whatever is kept is a single-slash path that the URL parser leaves on our origin', () => {
  const samples = ['/a', '/a/../b', '/a%2Fb', '/%E2%80%99?q=1', 'x/y', '/@x', '/a/.%2e/b'];
  for (const value of samples) {
    const path = resolve(value);
    assert.match(path, /^\/(?!\/)/);
    assert.equal(new URL(path, 'http://127.0.0.1:3000').origin, 'http://127.0.0.1:3000');
  }
});
