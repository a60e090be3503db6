/**
 * @module Scrubs spans that others create before they are exported. Our own spans carry route patterns only,
 * but Next.js names the request target (`http.target: /reset-password?token=…`, `/api/v1/auth/sessions/<id>`) and
 * the fetch instrumentation the full URL: query strings go (reset and verification links carry tokens there),
 * and path segments that look like ids, tokens or email addresses become `:id`.
 */
import type { Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';

/** An email, or a long word with digits in it (ids, tokens, hashes); the same test as safeLabel's. */
const PERSONAL_SEGMENT = /@|(?=[A-Za-z0-9_-]*\d)[A-Za-z0-9_-]{12,}|%40/;

/** A URL or path without its query and fragment, personal-looking segments replaced by `:id`. */
export function scrubUrlText(value: string): string {
  const cut = value.search(/[?#]/);
  const base = cut === -1 ? value : value.slice(0, cut);
  return base
    .split('/')
    .map((segment) => (PERSONAL_SEGMENT.test(segment) ? ':id' : segment))
    .join('/');
}

/** Attributes that hold a URL, a path or a query, under the old and the current semantic conventions. */
const URLISH = /(^|\.)(target|url|path|route|full|query|name)$/;

/** Runs before the exporting processor (it is listed first), so what it changes is what gets exported. */
export class ScrubbingSpanProcessor implements SpanProcessor {
  onStart(_span: Span, _context: Context): void {}

  onEnd(span: ReadableSpan): void {
    const attributes = span.attributes as Record<string, unknown>;
    for (const key of Object.keys(attributes)) {
      const value = attributes[key];
      if (typeof value !== 'string') continue;
      if (key === 'url.query' || key.endsWith('.query_string')) delete attributes[key];
      else if (URLISH.test(key) || value.includes('/')) attributes[key] = scrubUrlText(value);
    }
    // The name too (the fetch instrumentation's is "fetch GET <url>").
    const scrubbed = span.name.split(' ').map(scrubUrlText).join(' ');
    if (scrubbed !== span.name) (span as { name: string }).name = scrubbed;
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}
