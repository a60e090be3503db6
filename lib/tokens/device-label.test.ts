/** Device names on the account page: what a person recognises, not a raw user-agent string. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deviceLabel } from './device-label';

test('browsers are named with their major version and system', () => {
  assert.equal(
    deviceLabel('Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0.0.0 Safari/537.36'),
    'Chrome 156 on Linux',
  );
  assert.equal(
    deviceLabel(
      'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1',
    ),
    'Safari 17 on iOS 17.4',
  );
  assert.equal(
    deviceLabel('Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0'),
    'Firefox 128 on Windows 10',
  );
});

test('clients that are not browsers keep their own user agent, shortened', () => {
  assert.equal(deviceLabel('curl/8.5.0'), 'curl/8.5.0');
  const long = `Kiosk terminal ${'x'.repeat(200)}`;
  assert.equal(deviceLabel(long).length, 80);
  assert.ok(deviceLabel(long).endsWith('…'));
});

test('no user agent at all', () => {
  assert.equal(deviceLabel(null), 'Unknown device');
  assert.equal(deviceLabel('   '), 'Unknown device');
});
