/**
 * Sign-in with OpenID Connect (authorization code flow with PKCE, openid-client) against the
 * organisation's identity provider. The ID token the provider returns is then verified by the
 * broker's own token verifier (the API's: trusted issuers, their roles and organisations, replay),
 * with the console's client id as audience; what comes out is the same Caller the API works with.
 */
import * as oidc from 'openid-client';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema/index.js';
import type { Caller } from '../identity/caller.js';
import type { TokenVerifier } from '../identity/verify-token.js';
import { hashToken, randomToken } from './session-store.js';

export interface SignInOptions {
  readonly db: Kysely<Database>;
  /** The identity provider's issuer URL, or a function giving it (the demo's is known once it listens). */
  readonly issuer: string | (() => string | null);
  readonly clientId: string;
  readonly clientSecret: string | null;
  /** The broker's own token verifier, with the console's client id as the audience. */
  readonly verifyIdToken: TokenVerifier;
}

export interface SignIn {
  /** Starts a sign-in: the URL to send the browser to, and the value its login cookie must carry. */
  begin(redirectUri: string, returnTo: string): Promise<{ url: string; browserBinding: string }>;
  /** Completes it from the callback URL; null when the state is unknown, stale or not this browser's. */
  complete(callbackUrl: URL, browserBinding: string | undefined): Promise<{ caller: Caller; returnTo: string } | null>;
}

export class SignInUnavailableError extends Error {
  constructor(cause: unknown) {
    super('the identity provider could not be reached', { cause });
    this.name = 'SignInUnavailableError';
  }
}

const LOGIN_TTL_MS = 10 * 60_000;

export function createSignIn(options: SignInOptions): SignIn {
  let discovered: Promise<oidc.Configuration> | null = null;
  const configuration = (): Promise<oidc.Configuration> => {
    const issuer = typeof options.issuer === 'string' ? options.issuer : options.issuer();
    if (!issuer) return Promise.reject(new SignInUnavailableError(new Error('no identity provider configured')));
    const url = new URL(issuer);
    // Plain HTTP only to a loopback identity provider (the demo's); anything else must be HTTPS.
    const loopback = url.protocol === 'http:' && (url.hostname === '127.0.0.1' || url.hostname === 'localhost' || url.hostname === '[::1]');
    discovered ??= oidc
      .discovery(
        url,
        options.clientId,
        options.clientSecret ?? undefined,
        options.clientSecret ? oidc.ClientSecretPost(options.clientSecret) : oidc.None(),
        loopback ? { execute: [oidc.allowInsecureRequests] } : undefined,
      )
      .catch((error: unknown) => {
        discovered = null; // try again on the next sign-in
        throw new SignInUnavailableError(error);
      });
    return discovered;
  };

  return {
    async begin(redirectUri, returnTo) {
      const config = await configuration();
      const codeVerifier = oidc.randomPKCECodeVerifier();
      const state = oidc.randomState();
      const nonce = oidc.randomNonce();
      const browserBinding = randomToken();
      await options.db
        .insertInto('console_login')
        .values({ state: hashToken(state), browser_hash: hashToken(browserBinding), code_verifier: codeVerifier, nonce, return_to: returnTo, created_at: new Date() })
        .execute();
      const url = oidc.buildAuthorizationUrl(config, {
        redirect_uri: redirectUri,
        scope: 'openid',
        response_type: 'code',
        code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
        code_challenge_method: 'S256',
        state,
        nonce,
        // Every sign-in asks the user again, so one who works for several organisations chooses anew.
        prompt: 'login',
      });
      return { url: url.href, browserBinding };
    },

    async complete(callbackUrl, browserBinding) {
      const state = callbackUrl.searchParams.get('state');
      if (!state || !browserBinding) return null;
      // One use: the row goes whatever happens next.
      const login = await options.db.deleteFrom('console_login').where('state', '=', hashToken(state)).returningAll().executeTakeFirst();
      if (!login || login.browser_hash !== hashToken(browserBinding) || Date.now() - login.created_at.getTime() > LOGIN_TTL_MS) return null;
      const config = await configuration();
      const tokens = await oidc.authorizationCodeGrant(config, callbackUrl, {
        pkceCodeVerifier: login.code_verifier,
        expectedState: state,
        expectedNonce: login.nonce,
        idTokenExpected: true,
      });
      const idToken = tokens.id_token;
      if (!idToken) return null;
      return { caller: await options.verifyIdToken(idToken), returnTo: login.return_to };
    },
  };
}
