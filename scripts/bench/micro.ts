/**
 * @module In-process micro-benchmarks of the pieces of a refresh, with the app's own modules and keys:
 * access-token verification and signing (jose), and the refresh-token codec work (HMAC/SHA-256).
 */
import { signAccessToken, verifyAccessToken } from '../../lib/tokens/access-token';
import { loadKeySet, type SigningJwk } from '../../lib/tokens/keys';
import { RefreshTokenCodec } from '../../lib/tokens/refresh-token';

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
}

/** Measures each piece for `seconds` seconds with the given signing keys and refresh secret. */
export async function runMicro(signingKeysJson: string, refreshSecret: string, seconds: number): Promise<MicroResults> {
  const keys = await loadKeySet(JSON.parse(signingKeysJson) as SigningJwk[]);
  const settings = { issuer: 'http://bench.invalid', audience: 'edge-auth-api', ttlSeconds: 900 };
  const claims = { sub: 'user-1', sid: 'family-1', provider: 'credentials' };
  const { token } = await signAccessToken(keys, settings, claims);
  const codec = RefreshTokenCodec.create(refreshSecret);
  const first = codec.mint(codec.newFamilyId(), Date.now() + 86_400_000);
  const sign = () => signAccessToken(keys, settings, claims);
  const codecWork = async () => {
    const parsed = codec.parse(first.raw);
    if (!parsed) throw new Error('codec refused its own token');
    const next = codec.successor(parsed);
    codec.hash(parsed);
    codec.hash(next);
  };
  return {
    algorithm: keys.signer.alg,
    accessTokenVerifyPerSecond: await opsPerSecond(() => verifyAccessToken(keys, settings, token), seconds),
    accessTokenSignPerSecond: await opsPerSecond(sign, seconds),
    accessTokenSignCpuMicros: await cpuMicrosPerOp(sign, 20_000),
    refreshCodecPerSecond: await opsPerSecond(codecWork, seconds),
    refreshCodecCpuMicros: await cpuMicrosPerOp(codecWork, 20_000),
  };
}
