/** NextAuth (Auth.js v5): providers and events on top of the edge-safe auth.config.ts. Runs on Node. */
import NextAuth, { CredentialsSignin } from 'next-auth';
import Credentials from 'next-auth/providers/credentials';
import { AuthError } from './lib/auth/errors';
import { signInInput } from './lib/auth/input';
import { getAppServices } from './lib/services/auth-service';
import { authConfig } from './auth.config';

export const { handlers, auth, signIn, signOut } = NextAuth(() => ({
  ...authConfig(),
  providers: [
    Credentials({
      credentials: { email: { label: 'Email', type: 'email' }, password: { label: 'Password', type: 'password' } },
      async authorize(credentials, request) {
        const input = signInInput.safeParse({ email: credentials.email, password: credentials.password });
        if (!input.success) throw new CredentialsSignin();
        try {
          const { auth } = await getAppServices();
          const session = await auth.signIn(input.data, {
            ip: request.headers.get('x-forwarded-for')?.split(',')[0]?.trim(),
            userAgent: request.headers.get('user-agent') ?? undefined,
          });
          // The submitted password goes no further; the user carries only the backend's tokens.
          return { id: session.user!.id, email: session.user!.email, name: session.user!.name, image: session.user!.image, backend: session };
        } catch (error) {
          if (error instanceof AuthError && error.code === 'invalid_credentials') throw new CredentialsSignin();
          throw error;
        }
      },
    }),
  ],
  events: {
    // Signing out of the web app revokes the backend session (the token family), not just the cookie.
    async signOut(message) {
      const refreshToken = 'token' in message ? message.token?.refreshToken : undefined;
      if (refreshToken) await (await getAppServices()).auth.signOut(refreshToken);
    },
  },
}));
