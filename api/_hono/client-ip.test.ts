/**
 * Client IPs, on real sockets from different loopback addresses: a forged X-Forwarded-For changes no
 * bucket and no recorded IP, two clients never share a bucket, and a proxy's hop counts only as configured.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestEnvironment, uniqueEmail, type TestEnvironment } from '../../test/support/environment';
import { loopbackAddresses, postFrom, startForwardingProxy, type ForwardingProxy } from '../../test/support/forwarding-proxy';

const PASSWORD = 'correct horse battery';
const LIMITS = { RATE_LIMIT_SIGNIN_PER_ACCOUNT_IP: '3/60', RATE_LIMIT_SIGNIN_PER_IP: '20/60', RATE_LIMIT_SIGNUP_PER_IP: '50/60' };
const nextAddress = loopbackAddresses();
let forgeries = 0;
/** A different client-written X-Forwarded-For each call, as the review's attacker sent. */
const forged = () => ({ 'x-forwarded-for': `203.0.113.${++forgeries % 250}` });

/** Signs up an account (from its own address) and returns its email. */
async function account(baseUrl: string, headers: Record<string, string> = {}): Promise<string> {
  const email = uniqueEmail('ip');
  const res = await postFrom(nextAddress(), `${baseUrl}/api/v1/auth/signup`, { email, password: PASSWORD }, headers);
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return email;
}

/** The IP the device list shows for the session signed in by `signin`'s answer. */
async function recordedIp(env: TestEnvironment, accessToken: string): Promise<string | null> {
  const res = await fetch(`${env.baseUrl}/api/v1/auth/sessions`, { headers: { authorization: `Bearer ${accessToken}` } });
  const body = (await res.json()) as { sessions: Array<{ current: boolean; ip: string | null }> };
  return body.sessions.find((s) => s.current)!.ip;
}

/**
 * The attacker guesses from one address with a new forged header each time until refused; then the
 * owner, from another address, signs in. Returns what each saw.
 */
async function guessThenOwner(signinUrl: string, email: string, attacker: string, owner: string) {
  const guesses: number[] = [];
  for (let i = 0; i < 4; i++) {
    guesses.push((await postFrom(attacker, signinUrl, { email, password: `guess-${i}-wrong` }, forged())).status);
  }
  const ownerSignIn = await postFrom(owner, signinUrl, { email, password: PASSWORD }, forged());
  return { guesses, ownerSignIn };
}

describe('client IP: the standalone server, no proxy (CLIENT_IP_SOURCE=socket)', () => {
  let env: TestEnvironment;
  before(async () => {
    env = await startTestEnvironment({ CLIENT_IP_SOURCE: 'socket', ...LIMITS });
  });
  after(() => env.close());

  test('a forged X-Forwarded-For gets a guesser no fresh bucket, and the owner elsewhere still signs in', async () => {
    const email = await account(env.baseUrl);
    const { guesses, ownerSignIn } = await guessThenOwner(
      `${env.baseUrl}/api/v1/auth/signin`,
      email,
      nextAddress(),
      nextAddress(),
    );
    assert.deepEqual(guesses, [401, 401, 401, 429]);
    assert.equal(ownerSignIn.status, 200);
  });

  test('the device list shows the socket address, not the header the client wrote', async () => {
    const email = await account(env.baseUrl);
    const from = nextAddress();
    const res = await postFrom(from, `${env.baseUrl}/api/v1/auth/signin`, { email, password: PASSWORD }, forged());
    assert.equal(res.status, 200);
    assert.equal(await recordedIp(env, res.body.access_token), from);
  });

  test('failed sign-ins from one client never lock out another client (no shared "unknown" bucket)', async () => {
    const flooder = nextAddress();
    for (let i = 0; i < 21; i++) {
      await postFrom(flooder, `${env.baseUrl}/api/v1/auth/signin`, { email: uniqueEmail('flood'), password: 'wrong-guess-1' });
    }
    const refused = await postFrom(flooder, `${env.baseUrl}/api/v1/auth/signin`, {
      email: uniqueEmail('flood'),
      password: 'x-wrong-1',
    });
    assert.equal(refused.status, 429, 'the flooder itself is limited');
    const email = await account(env.baseUrl);
    assert.equal((await postFrom(nextAddress(), `${env.baseUrl}/api/v1/auth/signin`, { email, password: PASSWORD })).status, 200);
  });
});

describe('client IP: behind one reverse proxy (CLIENT_IP_SOURCE=proxy, TRUSTED_PROXY_HOPS=1)', () => {
  let env: TestEnvironment;
  let proxy: ForwardingProxy;
  before(async () => {
    env = await startTestEnvironment({ CLIENT_IP_SOURCE: 'proxy', TRUSTED_PROXY_HOPS: '1', ...LIMITS });
    proxy = await startForwardingProxy(env.baseUrl);
  });
  after(async () => {
    await proxy.close();
    await env.close();
  });

  test('the hop the proxy appended decides: forged hops left of it change no bucket', async () => {
    const email = await account(proxy.url);
    const { guesses, ownerSignIn } = await guessThenOwner(`${proxy.url}/api/v1/auth/signin`, email, nextAddress(), nextAddress());
    assert.deepEqual(guesses, [401, 401, 401, 429]);
    assert.equal(ownerSignIn.status, 200);
  });

  test('the device list shows the address the proxy saw', async () => {
    const email = await account(proxy.url);
    const from = nextAddress();
    const res = await postFrom(from, `${proxy.url}/api/v1/auth/signin`, { email, password: PASSWORD }, forged());
    assert.equal(res.status, 200);
    assert.equal(await recordedIp(env, res.body.access_token), from);
  });

  test('a request that bypassed the proxy (no hop) is refused with 400, not counted in a shared bucket', async () => {
    const res = await postFrom(nextAddress(), `${env.baseUrl}/api/v1/auth/signin`, { email: uniqueEmail(), password: PASSWORD });
    assert.equal(res.status, 400);
    assert.equal(res.body.error.code, 'client_unidentified');
  });
});

describe('client IP: a proxy hop is honoured only as configured', () => {
  test('with two trusted hops configured but one proxy, the hop counted is the one left of it (the client-written one)', async () => {
    // Misconfiguration made visible: the app trusts exactly the number of hops it is told, no more, no less.
    const env = await startTestEnvironment({ CLIENT_IP_SOURCE: 'proxy', TRUSTED_PROXY_HOPS: '2', ...LIMITS });
    const proxy = await startForwardingProxy(env.baseUrl);
    try {
      const email = await account(proxy.url, { 'x-forwarded-for': '198.51.100.6' });
      const from = nextAddress();
      const res = await postFrom(
        from,
        `${proxy.url}/api/v1/auth/signin`,
        { email, password: PASSWORD },
        { 'x-forwarded-for': '198.51.100.7' },
      );
      assert.equal(res.status, 200);
      assert.equal(await recordedIp(env, res.body.access_token), '198.51.100.7');
      const none = await postFrom(from, `${proxy.url}/api/v1/auth/signin`, { email, password: PASSWORD });
      assert.equal(none.status, 400, 'one hop where two are configured identifies nobody');
    } finally {
      await proxy.close();
      await env.close();
    }
  });

  test('without a proxy configured, a header from a real proxy is ignored: the socket decides', async () => {
    const env = await startTestEnvironment({ CLIENT_IP_SOURCE: 'socket', ...LIMITS });
    const proxyAddress = nextAddress();
    const proxy = await startForwardingProxy(env.baseUrl, proxyAddress);
    try {
      const email = await account(proxy.url);
      const res = await postFrom(nextAddress(), `${proxy.url}/api/v1/auth/signin`, { email, password: PASSWORD });
      assert.equal(res.status, 200);
      assert.equal(await recordedIp(env, res.body.access_token), proxyAddress, 'the proxy itself is the peer');
    } finally {
      await proxy.close();
      await env.close();
    }
  });
});
