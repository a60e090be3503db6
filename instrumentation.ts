/** Runs once when a Next.js server starts: a missing or bad setting stops it here with a message naming it. */
export async function register() {
  const { getConfig } = await import('./lib/config/env');
  getConfig();
}
