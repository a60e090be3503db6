/**
 * @module In-process micro-benchmarks of the pieces of a refresh, with the app's own modules and keys:
 * access-token verification (jose) and signing, and the refresh-token codec work (HMAC/SHA-256), the
 * signing and hashing both with the implementation Node uses (`node:crypto`) and the edge's (jose, @noble).
 */
import { signAccessToken, verifyAccessToken } from '../../lib/tokens/access-token';
import { loadKeySet, type SigningJwk } from '../../lib/tokens/keys';
import { RefreshTokenCodec } from '../../lib/tokens/refresh-token';
import { tokenCrypto, webTokenCrypto } from '../../lib/tokens/token-crypto';

/** Operations per second of one serial async loop (a single request's view of the cost). */
export async function opsPerSecond(fn: () => Promise<unknown>, seconds: number): Promise<number> {
  for (let i = 0; i < 50; i++) await fn(); // warm up the JIT and key caches
  let n = 0;
  const started = performance.now();
  const until = started + seconds * 1000;
  while (performance.now() < until) {
    for (let i = 0; i < 20; i++) await fn();
    n += 20;
  }
  return n / ((performance.now() - started) / 1000);
}

/**
 * CPU of this whole process (all threads: Web Crypto runs in libuv's pool) per operation, in µs,
 * with `concurrency` operations in flight as under load.
 */
export async function cpuMicrosPerOp(fn: () => Promise<unknown>, count: number, concurrency = 50): Promise<number> {
  for (let i = 0; i < 200; i++) await fn();
  const before = process.cpuUsage();
  let started = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (started++ < count) await fn();
    }),
  );
  const used = process.cpuUsage(before);
  return (used.user + used.system) / count;
}

/** Results of the micro-benchmarks, in operations per second (CPU in µs per operation). */
export interface MicroResults {
  accessTokenVerifyPerSecond: number;
  accessTokenSignPerSecond: number;
  /** Process CPU per signature, all threads, 50 in flight. */
  accessTokenSignCpuMicros: number;
  /** Process CPU of the codec work of one refresh (synchronous, main thread). */
  refreshCodecCpuMicros: number;
  /** parse + successor + two SHA-256 hashes: the token work of one refresh before Redis. */
  refreshCodecPerSecond: number;
  algorithm: string;
  /** The implementation the numbers above use (`node:crypto` on Node). */
  implementation: string;
  /** The same CPU costs with the edge's implementation (jose over Web Crypto, @noble/hashes), same run. */
  edge: { accessTokenSignCpuMicros: number; refreshCodecCpuMicros: number };
}

/** Measures each piece for `seconds` seconds with the given signing keys and refresh secret. */
export async function runMicro(signingKeysJson: string, refreshSecret: string, seconds: number): Promise<MicroResults> {
  const jwks = JSON.parse(signingKeysJson) as SigningJwk[];
  const keys = await loadKeySet(jwks);
  const edgeKeys = await loadKeySet(jwks, webTokenCrypto);
  const settings = { issuer: 'http://bench.invalid', audience: 'edge-auth-api', ttlSeconds: 900 };
  const claims = { sub: 'user-1', sid: 'family-1', provider: 'credentials' };
  const { token } = await signAccessToken(keys, settings, claims);
  const codecWork = (codec: RefreshTokenCodec) => {
    const first = codec.mint(codec.newFamilyId(), Date.now() + 86_400_000);
    return async () => {
      const parsed = codec.parse(first.raw);
      if (!parsed) throw new Error('codec refused its own token');
      // As RotationEngine.rotate: the presented hash, the successor's hash, then the successor tagged.
      const next = codec.next(parsed, codec.hash(parsed));
      next.issue((parsed.position ?? 0) + 1);
    };
  };
  const codec = codecWork(RefreshTokenCodec.create(refreshSecret));
  const edgeCodec = codecWork(RefreshTokenCodec.create(refreshSecret, webTokenCrypto));
  const sign = () => signAccessToken(keys, settings, claims);
  const edgeSign = () => signAccessToken(edgeKeys, settings, claims);
  return {
    algorithm: keys.signer.alg,
    implementation: tokenCrypto.name,
    accessTokenVerifyPerSecond: await opsPerSecond(() => verifyAccessToken(keys, settings, token), seconds),
    accessTokenSignPerSecond: await opsPerSecond(sign, seconds),
    accessTokenSignCpuMicros: await cpuMicrosPerOp(sign, 20_000),
    refreshCodecPerSecond: await opsPerSecond(codec, seconds),
    refreshCodecCpuMicros: await cpuMicrosPerOp(codec, 20_000),
    edge: {
      accessTokenSignCpuMicros: await cpuMicrosPerOp(edgeSign, 20_000),
      refreshCodecCpuMicros: await cpuMicrosPerOp(edgeCodec, 20_000),
    },
  };
}
