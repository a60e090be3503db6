/**
 * @module Where a sign-in may send the browser afterwards: a path on this deployment's own origin, never
 * another host. Used by the sign-in pages and actions (app/) and by NextAuth's `redirect` callback (auth.ts).
 */

/** Longer callback values are refused: no page of this app needs one, and they only serve to hide a payload. */
export const MAX_REDIRECT_LENGTH = 2048;

/** How often a path is percent-decoded while looking for a hidden `//` or backslash (`%252F` is two layers). */
const DECODE_ROUNDS = 3;

// Cc: C0 controls (tab, CR, LF...), DEL and C1. The URL parser silently drops tab and newline, so a
// value with them means something else to the browser than to a prefix check.
const CONTROL = /\p{Cc}/u;
// Encoded, only C0 and DEL: `%80`-`%9F` are also UTF-8 continuation bytes (`%E2%80%99` is a quote mark).
const ENCODED_CONTROL = /%(?:[01][0-9a-f]|7f)/i;
const DECODED_CONTROL = /[\u0000-\u001f\u007f]/;

/** Decodes `%XX` escapes byte by byte (never throws, unlike decodeURIComponent on `%` alone). */
const percentDecode = (text: string) =>
  text.replace(/%([0-9a-f]{2})/gi, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));

/**
 * True when `path` (already resolved by the URL parser) could turn into another host once something
 * decodes `%2F`/`%5C` and resolves dot segments again, e.g. `/%2F%2Fevil.example` or `/a/..%2F%2Fevil.example`.
 */
function hidesAnotherHost(path: string, origin: string): boolean {
  let current = path;
  for (let round = 0; round < DECODE_ROUNDS; round++) {
    const decoded = percentDecode(current);
    if (DECODED_CONTROL.test(decoded) || decoded.includes('\\')) return true;
    const reresolved = URL.parse(decoded, origin);
    if (!reresolved || reresolved.origin !== origin || decoded.startsWith('//') || reresolved.pathname.startsWith('//')) {
      return true;
    }
    if (decoded === current) return false;
    current = decoded;
  }
  // Still changing after several layers of encoding: no honest link looks like that.
  return true;
}

/**
 * The path and query of `value` if it is a safe post-sign-in destination on `appUrl`'s origin, else `fallback`.
 * Resolved with the WHATWG URL parser as a browser would; refused are: non-strings, over-long values, control
 * characters (raw or percent-encoded), backslashes (raw, or `%5C` in the path), another origin, userinfo, and any path
 * that starts with `//` as it stands or after decoding. The fragment is dropped: nothing here needs one.
 */
export function safeRedirectPath(value: unknown, appUrl: string, fallback: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_REDIRECT_LENGTH) return fallback;
  if (CONTROL.test(value) || ENCODED_CONTROL.test(value) || value.includes('\\')) return fallback;
  const origin = new URL(appUrl).origin;
  const target = URL.parse(value, origin);
  if (!target || target.origin !== origin || target.username || target.password) return fallback;
  // `new URL('/.//evil.example', origin).pathname` is `//evil.example`: a same-origin URL whose path a
  // router (Next's included) reads as protocol-relative.
  if (!target.pathname.startsWith('/') || target.pathname.startsWith('//')) return fallback;
  if (hidesAnotherHost(target.pathname, origin)) return fallback;
  return target.pathname + target.search;
}
