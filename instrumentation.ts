/** Runs once when a Next.js server starts: a missing or bad setting stops it here with a message naming it. */
export async function register() {
  const { ConfigError, getConfig } = await import('./lib/config/env');
  try {
    getConfig();
    if (process.env.NEXT_RUNTIME === 'nodejs') {
      // OAuth providers are configured all-or-nothing; a half-configured one stops the start, too.
      const { getOAuthSettings } = await import('./nextauth/oauth-providers');
      getOAuthSettings();
    }
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    // On Node the whole server stops; an edge isolate cannot exit and fails its requests instead.
    if (process.env.NEXT_RUNTIME === 'nodejs') process.exit(1);
    throw error;
  }
}
