/** The client-IP rule, per source: what the platform or a trusted proxy wrote counts, what the client wrote does not. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError, parseConfig } from '../config/env';
import { freshSecrets } from '../config/secrets';
import { ipBucket } from '../rate-limit/limits';
import { clientIp, type ClientIpPolicy } from './request-context';

const h = (init: Record<string, string>) => new Headers(init);
const vercel: ClientIpPolicy = { source: 'vercel', trustedProxies: 1 };
const socket: ClientIpPolicy = { source: 'socket', trustedProxies: 1 };
const proxy = (trustedProxies: number): ClientIpPolicy => ({ source: 'proxy', trustedProxies });

describe('clientIp', () => {
  test('on Vercel, X-Real-IP (which Vercel overwrites) decides; a client-written X-Forwarded-For does not', () => {
    assert.equal(
      clientIp(h({ 'x-real-ip': '198.51.100.1', 'x-forwarded-for': '203.0.113.9' }), undefined, vercel),
      '198.51.100.1',
    );
    assert.equal(clientIp(h({ 'x-forwarded-for': '203.0.113.9' }), undefined, vercel), undefined);
  });

  test("behind N proxies, the hop the N-th from the right appended decides; hops left of it are the client's writing", () => {
    const forged = h({ 'x-forwarded-for': '203.0.113.9, 10.0.0.1, 198.51.100.2' });
    assert.equal(clientIp(forged, undefined, proxy(1)), '198.51.100.2');
    assert.equal(clientIp(forged, undefined, proxy(2)), '10.0.0.1');
    assert.equal(clientIp(forged, undefined, proxy(3)), '203.0.113.9');
    assert.equal(clientIp(forged, undefined, proxy(4)), undefined, 'fewer hops than proxies: it bypassed them');
    assert.equal(clientIp(h({}), undefined, proxy(1)), undefined);
    assert.equal(clientIp(h({ 'x-forwarded-for': ' , ' }), undefined, proxy(1)), undefined);
  });

  test('behind a proxy, the socket is ignored (it is the proxy)', () => {
    assert.equal(clientIp(h({ 'x-forwarded-for': '198.51.100.2' }), '127.0.0.1', proxy(1)), '198.51.100.2');
  });

  test('with no proxy, the socket decides and headers are ignored', () => {
    assert.equal(clientIp(h({ 'x-forwarded-for': '203.0.113.9', 'x-real-ip': '203.0.113.9' }), '127.0.0.2', socket), '127.0.0.2');
    assert.equal(clientIp(h({}), '::ffff:127.0.0.3', socket), '127.0.0.3', 'IPv4-mapped IPv6 is the IPv4 address');
    assert.equal(clientIp(h({}), undefined, socket), undefined);
  });

  test('a hop that is not an address identifies nobody (no "unknown" bucket, no injected text)', () => {
    for (const bad of ['unknown', '1.2.3.4\r\nx', 'a'.repeat(60), '<script>', '1.2.3.4:80x']) {
      assert.equal(clientIp(h({ 'x-real-ip': bad.replace(/[\r\n]/g, '') }), undefined, vercel), undefined, bad);
    }
  });
});

describe('ipBucket', () => {
  test('IPv4 is its own bucket; IPv6 is counted per /64, however it is written', () => {
    assert.equal(ipBucket('198.51.100.7'), '198.51.100.7');
    assert.equal(ipBucket('2001:db8:1:2::1'), '2001:db8:1:2::/64');
    assert.equal(ipBucket('2001:0db8:0001:0002:ffff:0:0:9'), '2001:db8:1:2::/64');
    assert.equal(ipBucket('2001:db8::1'), '2001:db8:0:0::/64');
    assert.equal(ipBucket('::1'), '0:0:0:0::/64');
    assert.notEqual(ipBucket('2001:db8:1:2::1'), ipBucket('2001:db8:1:3::1'));
  });

  test('no IP is refused, never counted in a bucket every such client shares', () => {
    assert.throws(() => ipBucket(undefined), { code: 'client_unidentified' });
  });
});

describe('CLIENT_IP_SOURCE', () => {
  const base = async () => ({
    ...(await freshSecrets()),
    UPSTASH_REDIS_REST_URL: 'http://127.0.0.1:1',
    UPSTASH_REDIS_REST_TOKEN: 't',
    DATABASE_URL: 'postgresql://x@127.0.0.1/x',
  });

  test("defaults to the socket off Vercel, and to Vercel's header on it", async () => {
    assert.deepEqual(parseConfig(await base()).clientIp, { source: 'socket', trustedProxies: 1 });
    assert.equal(parseConfig({ ...(await base()), VERCEL: '1' }).clientIp.source, 'vercel');
    assert.deepEqual(parseConfig({ ...(await base()), CLIENT_IP_SOURCE: 'proxy', TRUSTED_PROXY_HOPS: '2' }).clientIp, {
      source: 'proxy',
      trustedProxies: 2,
    });
  });

  test('inside Next.js, which has no socket, the socket source stops the start, naming the setting', async () => {
    const env = { ...(await base()), NEXT_RUNTIME: 'edge' };
    assert.throws(
      () => parseConfig(env),
      (e: Error) => {
        assert.ok(e instanceof ConfigError);
        assert.match(e.message, /CLIENT_IP_SOURCE/);
        return true;
      },
    );
  });

  test('the retired TRUST_PROXY stops the start and says what replaced it', async () => {
    const env = { ...(await base()), TRUST_PROXY: 'true' };
    assert.throws(() => parseConfig(env), /TRUST_PROXY: is no longer read; set CLIENT_IP_SOURCE/);
  });

  test('a bad source or hop count names the variable', async () => {
    const env = await base();
    assert.throws(() => parseConfig({ ...env, CLIENT_IP_SOURCE: 'header' }), /CLIENT_IP_SOURCE/);
    assert.throws(() => parseConfig({ ...env, CLIENT_IP_SOURCE: 'proxy', TRUSTED_PROXY_HOPS: '0' }), /TRUSTED_PROXY_HOPS/);
  });
});
