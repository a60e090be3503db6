/** @module A local OpenID Provider (the certified `oidc-provider` package) for the browser tests: code flow, PKCE required, built-in login/consent pages. */
import { createServer, type Server } from 'node:http';
import { pathToFileURL } from 'node:url';
import Provider, { type Configuration } from 'oidc-provider';

/** How the test IdP is set up; every value has a default that matches scripts/test/e2e.sh. */
export interface TestIdpOptions {
  port?: number;
  clientId?: string;
  clientSecret?: string;
  redirectUri?: string;
}

/** A running test IdP. */
export interface TestIdp {
  issuer: string;
  clientId: string;
  clientSecret: string;
  close(): Promise<void>;
}

// Any email-shaped login is an account of its own, whose address the IdP asserts verified, unless the
// login starts with "unverified-" (then `email_verified: false` for the address after that prefix).
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const UNVERIFIED = 'unverified-';

/**
 * Test control: `POST /__test/unreachable` (body "on" or "off") makes the IdP drop every other connection
 * unanswered, as an unreachable provider would look to the app.
 */
export const UNREACHABLE_PATH = '/__test/unreachable';

/** Starts the IdP on 127.0.0.1 (issuer `http://127.0.0.1:<port>`). */
export async function startTestIdp(options: TestIdpOptions = {}): Promise<TestIdp> {
  const port = options.port ?? 3199;
  const issuer = `http://127.0.0.1:${port}`;
  const clientId = options.clientId ?? 'e2e-app';
  const clientSecret = options.clientSecret ?? 'e2e-client-secret-not-for-production';
  const redirectUri = options.redirectUri ?? 'http://127.0.0.1:3100/api/auth/callback/oidc';

  const configuration: Configuration = {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        // A web client using the code flow may register an http loopback redirect URI (only implicit-flow clients must use https).
        redirect_uris: [redirectUri],
        response_types: ['code'],
        grant_types: ['authorization_code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    // Confidential clients do not need PKCE by default; the test insists on it, as the issue asks.
    pkce: { required: () => true },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    // The package's quick-start login and consent pages: fine for a test IdP, never for production.
    features: { devInteractions: { enabled: true } },
    cookies: { keys: [crypto.randomUUID(), crypto.randomUUID()] },
    async findAccount(_ctx, id) {
      if (!EMAIL.test(id)) return undefined;
      return {
        accountId: id,
        async claims() {
          const unverified = id.startsWith(UNVERIFIED);
          const email = (unverified ? id.slice(UNVERIFIED.length) : id).toLowerCase();
          return { sub: id, email, email_verified: !unverified, name: `Test ${email.split('@')[0]}` };
        },
      };
    },
    // The id_token and userinfo must not outlive the test's waits by much, but must outlast one sign-in.
    ttl: { AccessToken: 600, AuthorizationCode: 60, IdToken: 600, Interaction: 600, Session: 3600, Grant: 3600 },
  };
  const provider = new Provider(issuer, configuration);
  // Without a listener oidc-provider prints nothing useful; keep the reason of every refusal in the log.
  provider.on('server_error', (_ctx, error) => console.error('oidc-provider server_error', error));
  const detail = (error: Error & { error_detail?: string }) =>
    `${error.message}${error.error_detail ? `: ${error.error_detail}` : ''}`;
  provider.on('authorization.error', (_ctx, error) => console.error('oidc-provider authorization.error', detail(error)));
  provider.on('grant.error', (_ctx, error) => console.error('oidc-provider grant.error', detail(error)));

  const callback = provider.callback();
  let unreachable = false;
  const server: Server = createServer((req, res) => {
    if (req.method === 'POST' && req.url === UNREACHABLE_PATH) {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk));
      req.on('end', () => {
        unreachable = body.trim() === 'on';
        res.writeHead(204).end();
      });
      return;
    }
    if (unreachable) return void req.socket.destroy();
    callback(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return {
    issuer,
    clientId,
    clientSecret,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

// Run directly (scripts/test/e2e.sh): start with settings from the environment and stay up until killed.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const idp = await startTestIdp({
    port: Number(process.env.E2E_OIDC_PORT ?? 3199),
    ...(process.env.E2E_OIDC_CLIENT_ID ? { clientId: process.env.E2E_OIDC_CLIENT_ID } : {}),
    ...(process.env.E2E_OIDC_CLIENT_SECRET ? { clientSecret: process.env.E2E_OIDC_CLIENT_SECRET } : {}),
    ...(process.env.E2E_OIDC_REDIRECT_URI ? { redirectUri: process.env.E2E_OIDC_REDIRECT_URI } : {}),
  });
  console.log(`test OpenID Provider listening at ${idp.issuer} (client ${idp.clientId})`);
  const stop = () => void idp.close().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
