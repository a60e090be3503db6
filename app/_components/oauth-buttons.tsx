/** @module One "Sign in with …" button per configured OAuth provider (a plain form: works without JavaScript). */
import type { OAuthProviderInfo } from '@/nextauth/oauth-providers';
import { oauthSignInAction } from '../signin/oauth-actions';

/** The configured providers as sign-in buttons; renders nothing when none is configured. */
export function OAuthButtons({ providers, callbackUrl }: { providers: OAuthProviderInfo[]; callbackUrl: string }) {
  if (providers.length === 0) return null;
  return (
    <div className="or" data-testid="oauth-providers">
      <p className="muted">Or continue with</p>
      {providers.map((p) => (
        <form key={p.id} action={oauthSignInAction}>
          <input type="hidden" name="provider" value={p.id} />
          <input type="hidden" name="callbackUrl" value={callbackUrl} />
          <button type="submit" className="secondary" data-provider={p.id}>
            Sign in with {p.name}
          </button>
        </form>
      ))}
    </div>
  );
}
