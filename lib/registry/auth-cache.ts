/**
 * Memory for registry auth between calls: which challenge a registry sends
 * (public, by origin) and bearer tokens (by a SHA-256 over realm, service,
 * scopes and the credentials that obtained them).
 */
import type { AuthChallenge } from './challenge';

/** A bearer token and the time (ms since the epoch) after which it is stale. */
export interface CachedToken {
  token: string;
  expiresAt: number;
}

/** Storage for challenges and tokens; `null` records "no auth needed". */
export interface AuthCache {
  getChallenge(origin: string): AuthChallenge | null | undefined;
  setChallenge(origin: string, challenge: AuthChallenge | null): void;
  getToken(key: string): CachedToken | undefined;
  setToken(key: string, token: CachedToken): void;
  deleteToken(key: string): void;
}

/** Default size bound of a `MemoryAuthCache`, per kind of entry. */
export const DEFAULT_AUTH_CACHE_ENTRIES = 256;

/**
 * An `AuthCache` in process memory, bounded in size. It drops the oldest entry
 * when full and never returns a token past its expiry.
 */
export class MemoryAuthCache implements AuthCache {
  private readonly challenges = new Map<string, AuthChallenge | null>();
  private readonly tokens = new Map<string, CachedToken>();

  constructor(
    private readonly maxEntries = DEFAULT_AUTH_CACHE_ENTRIES,
    private readonly now: () => number = Date.now,
  ) {}

  getChallenge(origin: string): AuthChallenge | null | undefined {
    return this.challenges.get(origin);
  }

  setChallenge(origin: string, challenge: AuthChallenge | null): void {
    setBounded(this.challenges, origin, challenge, this.maxEntries);
  }

  getToken(key: string): CachedToken | undefined {
    const entry = this.tokens.get(key);
    if (entry && entry.expiresAt <= this.now()) {
      this.tokens.delete(key);
      return undefined;
    }
    return entry;
  }

  setToken(key: string, token: CachedToken): void {
    setBounded(this.tokens, key, token, this.maxEntries);
  }

  deleteToken(key: string): void {
    this.tokens.delete(key);
  }

  /** Number of tokens held, stale ones included until they are read. */
  get tokenCount(): number {
    return this.tokens.size;
  }
}

function setBounded<V>(
  map: Map<string, V>,
  key: string,
  value: V,
  maxEntries: number,
): void {
  map.delete(key);
  map.set(key, value);
  while (map.size > maxEntries) {
    const oldest = map.keys().next().value as string;
    map.delete(oldest);
  }
}
