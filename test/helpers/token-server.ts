/**
 * A small token server for registry tests, speaking the distribution token
 * spec: `GET /token?service=&scope=&account=` with optional Basic auth returns
 * `{ token, access_token, expires_in, issued_at }`. Tokens are RS256 JWTs whose
 * `x5c` header contains the signing certificate, which the registry trusts
 * through its `rootcertbundle`.
 */
import { createPrivateKey, randomUUID, sign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Registry 2.8 adds this leeway to `exp` before it rejects a token. */
const REGISTRY_EXP_LEEWAY_SECONDS = 60;

export interface TokenUser {
  username: string;
  password: string;
}

export interface TokenServerOptions {
  service: string;
  issuer: string;
  keyPath: string;
  certPath: string;
  users: TokenUser[];
  allowAnonymous?: boolean;
  /** Seconds after issue at which the registry starts rejecting a token. */
  lifetimeSeconds?: number;
  /** `expires_in` sent to clients; defaults to the real lifetime. */
  advertisedExpiresIn?: number;
}

/** One token request as the server saw it; passwords are never recorded. */
export interface TokenRequest {
  account?: string;
  scopes: string[];
  status: number;
}

export interface TokenServer {
  /** Realm URL for the registry config. */
  readonly realm: string;
  readonly requests: TokenRequest[];
  /** Every token issued, so tests can check that none leaks into logs. */
  readonly issuedTokens: string[];
  /** Changes token lifetimes for later requests. */
  setLifetime(seconds: number, advertisedExpiresIn?: number): void;
  close(): Promise<void>;
}

/** Starts a token server on 127.0.0.1 on a free port. */
export async function startTokenServer(
  options: TokenServerOptions,
): Promise<TokenServer> {
  const key = createPrivateKey(readFileSync(options.keyPath));
  const certificate = certificateBase64(readFileSync(options.certPath, 'utf8'));
  const requests: TokenRequest[] = [];
  const issuedTokens: string[] = [];
  const lifetime = {
    seconds: options.lifetimeSeconds ?? 300,
    advertised: options.advertisedExpiresIn,
  };
  const server = createServer((request, response) => {
    const outcome = handleTokenRequest(request, response, {
      options,
      key,
      certificate,
      lifetime,
      issuedTokens,
    });
    requests.push(outcome);
  });
  await listen(server);
  const { port } = server.address() as AddressInfo;
  return {
    realm: `http://127.0.0.1:${port}/token`,
    requests,
    issuedTokens,
    setLifetime(seconds, advertisedExpiresIn) {
      lifetime.seconds = seconds;
      lifetime.advertised = advertisedExpiresIn;
    },
    close: () => closeServer(server),
  };
}

interface TokenContext {
  options: TokenServerOptions;
  key: KeyObject;
  certificate: string;
  lifetime: { seconds: number; advertised?: number };
  issuedTokens: string[];
}

function handleTokenRequest(
  request: IncomingMessage,
  response: ServerResponse,
  context: TokenContext,
): TokenRequest {
  const url = new URL(request.url ?? '/', 'http://127.0.0.1');
  const scopes = url.searchParams.getAll('scope');
  const account = checkCredentials(request.headers.authorization, context.options);
  if (account === false || url.pathname !== '/token') {
    const status = url.pathname === '/token' ? 401 : 404;
    replyJSON(response, status, {
      errors: [{ code: 'UNAUTHORIZED', message: 'invalid username or password' }],
    });
    return { scopes, status };
  }
  if (url.searchParams.get('service') !== context.options.service) {
    replyJSON(response, 400, {
      errors: [{ code: 'INVALID_REQUEST', message: 'unknown service' }],
    });
    return { account, scopes, status: 400 };
  }
  const now = Math.floor(Date.now() / 1000);
  const token = signToken(context, { account, scopes, now });
  context.issuedTokens.push(token);
  replyJSON(response, 200, {
    token,
    access_token: token,
    expires_in: context.lifetime.advertised ?? context.lifetime.seconds,
    issued_at: new Date(now * 1000).toISOString(),
  });
  return { account, scopes, status: 200 };
}

/** Returns the account name, undefined for anonymous, false for bad credentials. */
function checkCredentials(
  header: string | undefined,
  options: TokenServerOptions,
): string | undefined | false {
  if (!header) return options.allowAnonymous ? undefined : false;
  const match = /^Basic\s+(.+)$/i.exec(header);
  if (!match) return false;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const username = decoded.slice(0, colon);
  const password = decoded.slice(colon + 1);
  const known = options.users.some(
    (user) => user.username === username && user.password === password,
  );
  return colon > 0 && known ? username : false;
}

function signToken(
  context: TokenContext,
  request: { account?: string; scopes: string[]; now: number },
): string {
  const { options, lifetime } = context;
  const header = { typ: 'JWT', alg: 'RS256', x5c: [context.certificate] };
  const claims = {
    iss: options.issuer,
    sub: request.account ?? '',
    aud: options.service,
    exp: request.now + lifetime.seconds - REGISTRY_EXP_LEEWAY_SECONDS,
    nbf: request.now - 1,
    iat: request.now,
    jti: randomUUID(),
    access: request.scopes.flatMap(parseScope),
  };
  const signingInput = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
  const signature = sign('sha256', Buffer.from(signingInput), context.key);
  return `${signingInput}.${base64url(signature)}`;
}

/** Grants everything requested: `repository:NAME:pull,push` → one access entry. */
function parseScope(scope: string): { type: string; name: string; actions: string[] }[] {
  const first = scope.indexOf(':');
  const last = scope.lastIndexOf(':');
  if (first < 0 || last === first) return [];
  return [
    {
      type: scope.slice(0, first),
      name: scope.slice(first + 1, last),
      actions: scope.slice(last + 1).split(','),
    },
  ];
}

function certificateBase64(pem: string): string {
  const body = /-----BEGIN CERTIFICATE-----([\s\S]+?)-----END CERTIFICATE-----/.exec(pem);
  if (!body) throw new Error('token server: certificate file has no PEM certificate');
  return body[1].replace(/\s+/g, '');
}

function base64url(data: string | Buffer): string {
  return Buffer.from(data).toString('base64url');
}

function replyJSON(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

/** Resolves once `server` listens on 127.0.0.1 on a free port. */
export function listen(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
}

/** Closes `server`, dropping idle keep-alive connections. */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
