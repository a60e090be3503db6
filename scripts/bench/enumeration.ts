/**
 * @module Sign-in timing for a known and an unknown email with a wrong password (issue: no user
 * enumeration through timing). Measured, never asserted: a benchmark, not a test.
 */
import type { HttpResult, JsonClient } from '../loadtest/http';

/** Median and p90 latency of wrong-password sign-ins, per case, in ms. */
export interface EnumerationTiming {
  samples: number;
  knownMs: { p50: number; p90: number };
  unknownMs: { p50: number; p90: number };
  /** unknown p50 ÷ known p50: 1.0 means indistinguishable. */
  ratio: number;
}

const quantile = (values: number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! * 10) / 10;
};

/** Alternates wrong-password sign-ins for `knownEmail` and for never-registered emails, one at a time. */
export async function measureEnumerationTiming(
  client: JsonClient,
  knownEmail: string,
  samples: number,
): Promise<EnumerationTiming> {
  const known: number[] = [];
  const unknown: number[] = [];
  for (let i = 0; i < samples; i++) {
    // Interleaved, and in alternating order, so drift on a shared machine hits both cases alike.
    const tryKnown = () => client.post('/api/v1/auth/signin', { email: knownEmail, password: `wrong-password-${i}` });
    const tryUnknown = () =>
      client.post('/api/v1/auth/signin', {
        email: `nobody-${Date.now()}-${i}@loadtest.example.com`,
        password: `wrong-password-${i}`,
      });
    let a: HttpResult;
    let b: HttpResult;
    if (i % 2 === 0) {
      a = await tryKnown();
      b = await tryUnknown();
    } else {
      b = await tryUnknown();
      a = await tryKnown();
    }
    if (a.status !== 401 || b.status !== 401) throw new Error(`expected 401 for both, got ${a.status} and ${b.status}`);
    known.push(a.ms);
    unknown.push(b.ms);
  }
  const k = { p50: quantile(known, 0.5), p90: quantile(known, 0.9) };
  const u = { p50: quantile(unknown, 0.5), p90: quantile(unknown, 0.9) };
  return { samples, knownMs: k, unknownMs: u, ratio: Math.round((u.p50 / k.p50) * 1000) / 1000 };
}
