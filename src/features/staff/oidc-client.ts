// The OpenID Connect protocol, with the kept library openid-client (v6): discovery of the provider
// (cached for an hour, retried after a failure), the authorization code flow with PKCE, state and
// nonce, the ID token checked by the library, and the userinfo claims merged in. No database and no
// HTTP framework here: the routes (oidc-routes.ts) carry the flow in a cookie, and what the provider
// vouched for goes to StaffService.signInWithOidc.
//
// Every failure is an OidcProblem: a status (400 for a sign-in that cannot be completed as sent, 502
// for a provider that cannot be reached or whose answer does not hold), a title and a sentence for the
// person. Messages never carry codes, tokens or claims.
import * as client from 'openid-client';
import type { OidcConfig } from '../../config.js';
import type { OidcIdentity } from './staff-service.js';

/** What the browser keeps between start and callback (in the flow cookie). */
export interface OidcFlow {
  state: string;
  nonce: string;
  /** The PKCE code verifier: only its hash went to the provider. */
  verifier: string;
  /** The callback URL sent with the authorization request (the token request must repeat it). */
  redirectUri: string;
  /** Our page to land on afterwards. */
  next: string;
  /** When the flow started (ms since the epoch). */
  startedAt: number;
}

export class OidcProblem extends Error {
  override name = 'OidcProblem';
  constructor(
    readonly status: 400 | 403 | 502,
    readonly title: string,
    detail: string,
    /** A short, secret-free word for the log line. */
    readonly reason: string,
  ) {
    super(detail);
  }
}

const DISCOVERY_TTL_MS = 60 * 60 * 1000;
const TIMEOUT_SECONDS = 10;
export const SCOPES = 'openid profile email';

export class OidcClient {
  private discovered: { at: number; configuration: Promise<client.Configuration> } | undefined;

  constructor(private readonly config: OidcConfig) {}

  /** What the sign-in button names: the provider's host. */
  get issuerHost(): string {
    return this.config.issuer.host;
  }

  private insecure(): boolean {
    return this.config.issuer.protocol === 'http:';
  }

  private configuration(): Promise<client.Configuration> {
    if (this.discovered && Date.now() - this.discovered.at < DISCOVERY_TTL_MS) return this.discovered.configuration;
    const configuration = this.discover();
    const entry = { at: Date.now(), configuration };
    this.discovered = entry;
    // A failed discovery is not kept: the next sign-in tries again.
    configuration.catch(() => {
      if (this.discovered === entry) this.discovered = undefined;
    });
    return configuration;
  }

  private async discover(): Promise<client.Configuration> {
    const { issuer, clientId, clientSecret } = this.config;
    let found: client.Configuration;
    try {
      found = await client.discovery(issuer, clientId, undefined, client.ClientSecretBasic(clientSecret), {
        timeout: TIMEOUT_SECONDS,
        // http:// is accepted by the configuration only on loopback (a provider on this machine).
        ...(this.insecure() ? { execute: [client.allowInsecureRequests] } : {}),
      });
    } catch {
      throw new OidcProblem(
        502,
        'Sign-in provider unavailable',
        `The sign-in provider ${this.issuerHost} could not be reached or did not describe itself. Try again later, or sign in with a password.`,
        'discovery failed',
      );
    }
    // client_secret_basic is OpenID Connect's default; a provider that only takes the secret in the form gets that.
    const methods = found.serverMetadata().token_endpoint_auth_methods_supported;
    if (methods && !methods.includes('client_secret_basic') && methods.includes('client_secret_post')) {
      found = new client.Configuration(found.serverMetadata(), clientId, clientSecret, client.ClientSecretPost(clientSecret));
      found.timeout = TIMEOUT_SECONDS;
      if (this.insecure()) client.allowInsecureRequests(found);
    }
    return found;
  }

  /** The provider's authorization URL for a new flow, and the flow to keep until the callback. */
  async start(redirectUri: string, next: string): Promise<{ url: URL; flow: OidcFlow }> {
    const configuration = await this.configuration();
    const flow: OidcFlow = {
      state: client.randomState(),
      nonce: client.randomNonce(),
      verifier: client.randomPKCECodeVerifier(),
      redirectUri,
      next,
      startedAt: Date.now(),
    };
    const url = client.buildAuthorizationUrl(configuration, {
      redirect_uri: redirectUri,
      scope: SCOPES,
      response_type: 'code',
      state: flow.state,
      nonce: flow.nonce,
      code_challenge: await client.calculatePKCECodeChallenge(flow.verifier),
      code_challenge_method: 'S256',
    });
    return { url, flow };
  }

  /**
   * Completes a flow with the callback's query: the code is exchanged (with the PKCE verifier), the ID
   * token checked (signature, issuer, audience, expiry, nonce), the userinfo claims added.
   */
  async finish(flow: OidcFlow, query: URLSearchParams): Promise<OidcIdentity> {
    const configuration = await this.configuration();
    const current = new URL(flow.redirectUri);
    current.search = query.toString();
    let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
    try {
      tokens = await client.authorizationCodeGrant(configuration, current, {
        pkceCodeVerifier: flow.verifier,
        expectedState: flow.state,
        expectedNonce: flow.nonce,
        idTokenExpected: true,
      });
    } catch (error) {
      throw problemOf(error, this.issuerHost);
    }
    const idToken = tokens.claims();
    if (!idToken) throw new OidcProblem(502, 'Sign-in failed', `${this.issuerHost} sent no ID token.`, 'no id token');
    let userinfo: Record<string, unknown> = {};
    if (tokens.access_token && configuration.serverMetadata().userinfo_endpoint) {
      try {
        userinfo = await client.fetchUserInfo(configuration, tokens.access_token, idToken.sub);
      } catch (error) {
        throw problemOf(error, this.issuerHost);
      }
    }
    // The ID token's own claims (issuer, subject, audience, nonce) are never overridden by userinfo. An
    // address and whether it is verified come from the same answer: userinfo's email without its own
    // email_verified is not vouched for by the ID token's.
    const claims: Record<string, unknown> = { ...idToken, ...userinfo, iss: idToken.iss, sub: idToken.sub };
    if ('email' in userinfo && !('email_verified' in userinfo)) delete claims.email_verified;
    return { issuer: idToken.iss, subject: idToken.sub, claims };
  }
}

/** A library error as a problem for the person: what happened, never the codes or tokens involved. */
function problemOf(error: unknown, host: string): OidcProblem {
  if (error instanceof client.AuthorizationResponseError) {
    // The provider answered the browser with an error (access_denied, login_required, …): a registered code word.
    const code = /^[a-z_]{1,64}$/.test(error.error) ? error.error : 'error';
    return new OidcProblem(
      code === 'access_denied' ? 403 : 400,
      'Sign-in refused by the provider',
      `${host} did not sign you in (${code}). Try again, or sign in with a password.`,
      `provider said ${code}`,
    );
  }
  if (error instanceof client.ResponseBodyError) {
    // invalid_grant: the code expired, was used already, or does not belong to this flow.
    if (error.error === 'invalid_grant') {
      return new OidcProblem(400, 'Sign-in expired', 'That sign-in had expired or was already used. Start again.', 'invalid_grant');
    }
    return new OidcProblem(
      502,
      'Sign-in failed',
      `${host} refused to complete the sign-in. Try again later.`,
      `token endpoint ${error.status}`,
    );
  }
  if (error instanceof client.ClientError && /state/i.test(error.message) && !/statu/.test(error.message)) {
    return new OidcProblem(400, 'Sign-in not recognised', 'That sign-in was not started in this browser. Start again.', 'state mismatch');
  }
  if (error instanceof client.ClientError && error.code === 'OAUTH_INVALID_RESPONSE' && /"code"|parameter/.test(error.message)) {
    return new OidcProblem(400, 'Sign-in not completed', 'The provider sent no sign-in to complete. Start again.', 'invalid callback');
  }
  if (
    error instanceof TypeError ||
    (error instanceof Error && error.name === 'TimeoutError') ||
    (error instanceof Error && error.name === 'AbortError')
  ) {
    return new OidcProblem(502, 'Sign-in provider unavailable', `${host} could not be reached. Try again later.`, 'provider unreachable');
  }
  return new OidcProblem(
    502,
    'Sign-in failed',
    `The answer of ${host} could not be verified. Try again, or sign in with a password.`,
    'response not verified',
  );
}
