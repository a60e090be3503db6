'use server';
/** @module The server action behind the "Sign in with …" buttons: starts NextAuth's OAuth redirect for a configured provider. */
import { AuthError as NextAuthError } from 'next-auth';
import { redirect } from 'next/navigation';
import { listOAuthProviders } from '@/nextauth/oauth-providers';
import { explainingAuthFailures, isConfigurationError, signIn } from '@/auth';
import { safeRedirectPath } from '@/lib/auth/safe-redirect';
import { getConfig } from '@/lib/config/env';

/** Sends the browser to the chosen provider's authorization page (state, PKCE and nonce set by NextAuth). */
export async function oauthSignInAction(form: FormData): Promise<void> {
  const provider = form.get('provider');
  // Only providers this deployment offers; anything else is a forged form.
  if (typeof provider !== 'string' || !listOAuthProviders().some((p) => p.id === provider)) redirect('/signin?error=OAuthSignin');
  let target: string;
  try {
    // Not redirecting from inside signIn: Auth.js answers an unreachable provider with its catch-all
    // `error=Configuration`, which explainingAuthFailures names.
    const { value, failure } = await explainingAuthFailures(() =>
      signIn(provider, {
        redirectTo: safeRedirectPath(form.get('callbackUrl'), getConfig().APP_URL, '/account'),
        redirect: false,
      }),
    );
    target = failure && isConfigurationError(value) ? `/signin?error=${failure}` : value;
  } catch (error) {
    if (error instanceof NextAuthError) redirect('/signin?error=OAuthSignin');
    throw error;
  }
  redirect(target);
}
