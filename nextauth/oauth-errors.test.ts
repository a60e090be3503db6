/** Naming Auth.js's catch-all OAuth failures, on errors shaped exactly as Auth.js and oauth4webapi build them. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CallbackRouteError, InvalidCheck, OAuthSignInError } from '@auth/core/errors';
import { OperationProcessingError, ResponseBodyError } from 'oauth4webapi';
import { classifyOAuthFailure } from './oauth-errors';

/** What Auth.js's callback route throws around any other error (it passes the Error itself; its types say string). */
const callbackRouteError = (err: Error) => new CallbackRouteError(err as unknown as string, { provider: 'oidc' } as never);

const fetchFailed = () =>
  new TypeError('fetch failed', {
    cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:3199'), { code: 'ECONNREFUSED' }),
  });

test('a spent, replayed or expired callback (cookies gone or not matching) is OAuthCallbackInvalid', () => {
  assert.equal(classifyOAuthFailure(new InvalidCheck('pkceCodeVerifier cookie was missing')), 'OAuthCallbackInvalid');
  assert.equal(
    classifyOAuthFailure(new InvalidCheck('State could not be decoded', { cause: new Error('Invalid state') })),
    'OAuthCallbackInvalid',
  );
});

test('a tampered state, or a code the provider refuses, is OAuthCallbackInvalid', () => {
  const state = new OperationProcessingError('unexpected "state" response parameter value', {
    code: 'OAUTH_INVALID_RESPONSE',
  } as never);
  assert.equal(classifyOAuthFailure(callbackRouteError(state)), 'OAuthCallbackInvalid');
  const grant = new ResponseBodyError('server responded with an error in the response body', {
    cause: { error: 'invalid_grant', error_description: 'grant request is invalid' },
    response: new Response('{}', { status: 400 }),
  });
  assert.equal(classifyOAuthFailure(callbackRouteError(grant)), 'OAuthCallbackInvalid');
});

test('a provider that cannot be reached (discovery, token or userinfo endpoint) is OAuthProviderUnreachable', () => {
  assert.equal(classifyOAuthFailure(fetchFailed()), 'OAuthProviderUnreachable');
  assert.equal(classifyOAuthFailure(callbackRouteError(fetchFailed())), 'OAuthProviderUnreachable');
  assert.equal(
    classifyOAuthFailure(new DOMException('The operation was aborted due to timeout', 'TimeoutError')),
    'OAuthProviderUnreachable',
  );
});

test('anything else stays a configuration problem', () => {
  assert.equal(classifyOAuthFailure(new OAuthSignInError('invalid client')), null);
  assert.equal(classifyOAuthFailure(new TypeError('Discovery request responded with an invalid issuer')), null);
  assert.equal(classifyOAuthFailure(callbackRouteError(new Error('invalid_client'))), null);
  assert.equal(classifyOAuthFailure(undefined), null);
});
