/**
 * Registry authentication: anonymous, HTTP Basic, and the bearer token flow of
 * the distribution token spec. A 401 challenge names the token realm and the
 * service. The client then requests a token for its scopes
 * (`repository:NAME:pull,push`) from the realm and sends it as
 * `Authorization: Bearer`.
 */
import { utf8 } from '../core/bytes';
import { sha256 } from '../core/sha256';
import { encodeBase64 } from '../core/tar/text';
import type { AuthCache, CachedToken } from './auth-cache';
import { parseChallenges, supportedChallenge } from './challenge';
import type { AuthChallenge } from './challenge';
import { RegistryError } from './errors';
import { isLoopbackHost } from './target';

/** Credentials for a registry. A personal access token goes in `password`. */
export type RegistryAuth =
  | { type: 'anonymous' }
  | { type: 'basic'; username: string; password: string };

/** The token spec's default lifetime when a reply has no `expires_in`. */
const DEFAULT_TOKEN_LIFETIME_SECONDS = 60;

/** Fetches a token URL and returns its parsed JSON body, or throws. */
export type TokenFetcher = (
  url: URL,
  authorization: string | undefined,
) => Promise<unknown>;

/** Settings of an `Authenticator`, taken from its session. */
export interface AuthenticatorOptions {
  auth: RegistryAuth;
  /** Origin of the registry, such as `https://registry.example`. */
  origin: string;
  scopes: string[];
  insecure: boolean;
  fetchToken: TokenFetcher;
  cache?: AuthCache;
  now?: () => number;
}

/** Returns the `Authorization` value for HTTP Basic credentials. */
export function basicAuthorization(username: string, password: string): string {
  return `Basic ${encodeBase64(utf8(`${username}:${password}`))}`;
}

/**
 * Authorization state of one session: the challenge the registry sent, the
 * current token, and the scopes requested so far.
 */
export class Authenticator {
  private challenge: AuthChallenge | null | undefined;
  private token: (CachedToken & { key: string }) | undefined;
  /** Requested actions by resource, such as `repository:app` → pull, push. */
  private readonly scopes = new Map<string, Set<string>>();
  private readonly now: () => number;

  constructor(private readonly options: AuthenticatorOptions) {
    for (const scope of options.scopes) this.addScope(scope);
    this.now = options.now ?? Date.now;
    this.challenge = options.cache?.getChallenge(options.origin);
  }

  /** True once the registry's challenge (or its lack of one) is known. */
  get knowsChallenge(): boolean {
    return this.challenge !== undefined;
  }

  /**
   * Records that a request without credentials got a reply other than 401.
   * Only this session remembers it: a registry may still ask for credentials
   * on a later push request, and `handleUnauthorized` then takes over.
   */
  noteNoChallenge(): void {
    this.challenge ??= null;
  }

  /** Records what an unauthenticated `GET /v2/` returned. */
  learnChallenge(response: Response): void {
    const header = response.headers.get('www-authenticate');
    const found =
      response.status === 401 && header
        ? supportedChallenge(parseChallenges(header)) ?? null
        : null;
    this.setChallenge(found);
  }

  /**
   * Adds a scope (`type:name:action,...`), such as pull on a mount source.
   * When it adds an action, the next call fetches a new token.
   */
  addScope(scope: string): void {
    const split = scope.lastIndexOf(':');
    if (split <= 0) return;
    const resource = scope.slice(0, split);
    const actions = this.scopes.get(resource) ?? new Set<string>();
    const before = actions.size;
    for (const action of scope.slice(split + 1).split(',')) {
      if (action) actions.add(action);
    }
    this.scopes.set(resource, actions);
    if (actions.size !== before) this.token = undefined;
  }

  /** Returns the requested scopes, sorted, one per resource. */
  private scopeList(): string[] {
    return [...this.scopes]
      .map(([resource, actions]) => `${resource}:${[...actions].sort().join(',')}`)
      .sort();
  }

  /** Returns the `Authorization` header for the next request, if any. */
  async authorization(): Promise<string | undefined> {
    const challenge = this.challenge;
    if (!challenge) return undefined;
    if (challenge.scheme === 'basic') return this.basicHeader();
    if (this.token && !this.isStale(this.token)) return `Bearer ${this.token.token}`;
    return `Bearer ${await this.obtainToken(challenge)}`;
  }

  /**
   * Handles a 401 reply. Returns true when a retry may succeed: a new bearer
   * token was fetched, or Basic credentials exist and were not sent yet.
   */
  async handleUnauthorized(response: Response, sent?: string): Promise<boolean> {
    const header = response.headers.get('www-authenticate') ?? '';
    const challenge = supportedChallenge(parseChallenges(header));
    if (!challenge) return false;
    this.setChallenge(challenge);
    if (challenge.scheme === 'basic') {
      const basic = this.basicHeader();
      return basic !== undefined && basic !== sent;
    }
    if (challenge.params.scope) {
      for (const scope of challenge.params.scope.split(' ')) this.addScope(scope);
    }
    this.dropToken();
    await this.obtainToken(challenge);
    return true;
  }

  private setChallenge(challenge: AuthChallenge | null): void {
    this.challenge = challenge;
    this.options.cache?.setChallenge(this.options.origin, challenge);
  }

  private basicHeader(): string | undefined {
    const { auth } = this.options;
    if (auth.type !== 'basic') return undefined;
    return basicAuthorization(auth.username, auth.password);
  }

  private isStale(token: CachedToken): boolean {
    return this.now() >= token.expiresAt;
  }

  private dropToken(): void {
    if (this.token) this.options.cache?.deleteToken(this.token.key);
    this.token = undefined;
  }

  private async obtainToken(challenge: AuthChallenge): Promise<string> {
    const url = this.tokenURL(challenge);
    const key = await this.cacheKey(url);
    const cached = this.options.cache?.getToken(key);
    if (cached && !this.isStale(cached)) {
      this.token = { ...cached, key };
      return cached.token;
    }
    const reply = await this.options.fetchToken(url, this.basicHeader());
    const token = this.readTokenReply(reply, url);
    this.token = { ...token, key };
    this.options.cache?.setToken(key, token);
    return token.token;
  }

  private tokenURL(challenge: AuthChallenge): URL {
    const url = parseRealm(challenge.params.realm);
    const plainAllowed = isLoopbackHost(url.host) || this.options.insecure;
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && plainAllowed)) {
      throw tokenError(
        url.pathname,
        `realm ${url.origin} is not HTTPS; plain HTTP is used only ` +
          'for loopback or with insecure',
      );
    }
    if (challenge.params.service) {
      url.searchParams.set('service', challenge.params.service);
    }
    for (const scope of this.scopeList()) url.searchParams.append('scope', scope);
    const { auth } = this.options;
    if (auth.type === 'basic') url.searchParams.set('account', auth.username);
    return url;
  }

  private async cacheKey(url: URL): Promise<string> {
    const { auth } = this.options;
    const secret = auth.type === 'basic' ? [auth.username, auth.password] : [];
    return sha256(utf8(JSON.stringify([url.href, ...secret])));
  }

  private readTokenReply(reply: unknown, url: URL): CachedToken {
    const body = (reply ?? {}) as Record<string, unknown>;
    const token = body.token ?? body.access_token;
    if (typeof token !== 'string' || token === '') {
      throw tokenError(url.pathname, `reply from ${url.origin} has no token`);
    }
    const lifetime =
      typeof body.expires_in === 'number' && body.expires_in > 0
        ? body.expires_in
        : DEFAULT_TOKEN_LIFETIME_SECONDS;
    // Refresh a little early, by a tenth of the lifetime or at most 10 s.
    const marginMs = Math.min(10_000, lifetime * 100);
    return { token, expiresAt: this.now() + lifetime * 1000 - marginMs };
  }
}

function parseRealm(realm: string | undefined): URL {
  try {
    if (realm) return new URL(realm);
  } catch {
    // Reported below, with the value.
  }
  throw tokenError('', `bearer challenge has an invalid realm ${JSON.stringify(realm ?? '')}`);
}

function tokenError(path: string, reason: string): RegistryError {
  return new RegistryError({
    step: 'fetching token',
    status: 401,
    method: 'GET',
    path,
    reason,
    temporary: false,
  });
}
