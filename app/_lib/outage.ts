/**
 * @module What a signed-in person gets when their session could not be refreshed because Redis or the API
 * is unreachable: the truth. The session is intact, so a page says the service is briefly unavailable and
 * retries by itself; an API answers 503 `service_unavailable`. Both carry Retry-After. Never "your session
 * has ended": that is only for a refusal that ends it (lib/auth/errors.ts `endsSession`).
 */

/** How long a client should wait before trying again, in seconds (the page retries on its own after it). */
export const OUTAGE_RETRY_SECONDS = 5;

const headers = (type: string) => ({
  'Content-Type': type,
  'Retry-After': String(OUTAGE_RETRY_SECONDS),
  'Cache-Control': 'no-store',
});

/** The 503 JSON of a protected API during an outage. */
export function outageJson(): Response {
  return Response.json(
    {
      error: {
        code: 'service_unavailable',
        message: 'The service is briefly unavailable; you are still signed in. Try again shortly.',
      },
    },
    { status: 503, headers: headers('application/json') },
  );
}

/**
 * The 503 page of a protected page during an outage. Self-contained (inline styles, no script): it must
 * render when nothing behind it answers, and a meta refresh retries the same address without JavaScript.
 */
export function outagePage(): Response {
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="${OUTAGE_RETRY_SECONDS}">
<title>Briefly unavailable</title>
<style>
:root { color-scheme: light dark; font-family: system-ui, sans-serif; }
body { margin: 0; }
main { max-width: 32rem; margin: 4rem auto; padding: 0 1.25rem; line-height: 1.5; }
h1 { font-size: 1.5rem; margin: 0 0 0.75rem; }
a { color: #2f5fd0; }
@media (prefers-color-scheme: dark) { body { background: #111418; color: #e8eaed; } a { color: #8ab4f8; } }
</style>
</head>
<body>
<main>
<h1>We're having trouble on our side</h1>
<p role="status" data-testid="outage">You're still signed in. This page will try again by itself in a few seconds.</p>
<p>Nothing is wrong with your account, and you don't need to sign in again.</p>
<p><a href="">Try again now</a></p>
</main>
</body>
</html>
`;
  return new Response(html, { status: 503, headers: headers('text/html; charset=utf-8') });
}
