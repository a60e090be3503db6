/**
 * @module TOTP (RFC 6238) with `otpauth`: its ESM build computes HMACs in plain JS (no `node:crypto`), so it
 * runs on the edge as on Node. 6 digits, 30-second steps, SHA-1 (what every authenticator app supports), and
 * one step of drift either way. A code is accepted with its time step, so the caller can refuse its replay.
 */
import { Secret, TOTP } from 'otpauth';

/** Seconds per step, digits per code. */
export const TOTP_PERIOD = 30;
export const TOTP_DIGITS = 6;

const build = (secret: string, label = '', issuer = '') =>
  new TOTP({
    issuer,
    label,
    secret: Secret.fromBase32(secret),
    algorithm: 'SHA1',
    digits: TOTP_DIGITS,
    period: TOTP_PERIOD,
  });

/** A new secret: 160 random bits (RFC 4226's recommendation), in base32. */
export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

/** The `otpauth://` URI an authenticator app scans (the QR code's content). */
export function totpUri(secret: string, issuer: string, account: string): string {
  return build(secret, account, issuer).toString();
}

/** The code of the step containing `at` (ms): what an authenticator app would show. */
export function totpCode(secret: string, at = Date.now()): string {
  return build(secret).generate({ timestamp: at });
}

/** True for text shaped like a code: 6 digits (spaces allowed, as apps group them). */
export const isTotpShaped = (code: string) => /^\d{6}$/.test(code.replace(/\s/g, ''));

/** The time step a code belongs to (within one step of `at`), or null when it matches none. */
export function matchTotp(secret: string, code: string, at = Date.now()): number | null {
  const token = code.replace(/\s/g, '');
  if (!isTotpShaped(token)) return null;
  const delta = build(secret).validate({ token, timestamp: at, window: 1 });
  return delta === null ? null : Math.floor(at / 1000 / TOTP_PERIOD) + delta;
}
