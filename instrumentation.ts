/** Runs once when a Next.js server starts: a missing or bad setting stops it here with a message naming it. */
export async function register() {
  const { ConfigError, getConfig } = await import('./lib/config/env');
  try {
    getConfig();
    // Telemetry (docs/telemetry.md): off, and nothing loaded, unless an OTLP endpoint or METRICS_PORT is set.
    // Each runtime imports only its own module, so the edge bundle never sees the Node exporters.
    if (process.env.NEXT_RUNTIME === 'nodejs') {
      const { registerNodeTelemetry } = await import('./ops/telemetry/node');
      await registerNodeTelemetry();
    } else {
      const { registerEdgeTelemetry } = await import('./ops/telemetry/edge');
      registerEdgeTelemetry();
    }
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
