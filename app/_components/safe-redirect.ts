/** Only same-origin paths may be used as a post-sign-in destination (no open redirects). */
export function safeCallbackUrl(value: unknown, fallback = '/account'): string {
  return typeof value === 'string' && value.startsWith('/') && !value.startsWith('//') && !value.startsWith('/\\')
    ? value
    : fallback;
}
