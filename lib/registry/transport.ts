/**
 * One registry session: base URL, repository, auth state and the request
 * loop. `send` makes a request with auth (one token refresh on 401) and, for
 * idempotent steps, retries temporary failures with backoff.
 */
import { SILENT_LOGGER } from '../core/log';
import type { Logger } from '../core/log';
import { Authenticator } from './auth';
import type { RegistryAuth } from './auth';
import type { AuthCache } from './auth-cache';
import {
  NO_REPLY_STATUS,
  RegistryError,
  RegistryNotAllowedError,
  parseDiagnostics,
  redactPath,
} from './errors';
import {
  backoffDelay,
  connectionFailure,
  isConnectionError,
  parseRetryAfter,
  retryPolicy,
  sleep,
} from './retry';
import type { RetryPolicy } from './retry';
import {
  parseRegistryHost,
  parseRepository,
  registryBaseURL,
  repositoryScope,
} from './target';

/** One HTTP exchange, as reported to `onCall`; never carries headers or bodies. */
export interface RegistryCall {
  method: string;
  host: string;
  /** Path without query. */
  path: string;
  /** HTTP status, or 0 when no reply came. */
  status: number;
  digest?: string;
  durationMs: number;
}

/** Options of `createSession`. */
export interface SessionOptions {
  /** `host[:port]` of the registry. */
  registry: string;
  repository: string;
  auth?: RegistryAuth;
  /** Plain HTTP to a registry that is not on loopback. */
  insecure?: boolean;
  signal?: AbortSignal;
  log?: Logger;
  retry?: Partial<RetryPolicy>;
  fetch?: typeof fetch;
  authCache?: AuthCache;
  /** Called once per HTTP exchange, token requests included. */
  onCall?: (call: RegistryCall) => void;
  /** Returns false for URLs outside an allowlist, checked before every request. */
  isAllowedURL?: (url: URL) => boolean;
}

/** State shared by the protocol steps of one push or one route call. */
export interface RegistrySession {
  readonly registry: string;
  readonly repository: string;
  readonly baseURL: URL;
  readonly policy: RetryPolicy;
  readonly log: Logger;
  readonly signal?: AbortSignal;
  readonly authenticator: Authenticator;
  readonly options: SessionOptions;
}

/** One request of a protocol step. */
export interface CallSpec {
  /** Names the step at the start of error messages, such as "uploading blob". */
  step: string;
  method: string;
  url: URL;
  headers?: Record<string, string>;
  body?: Uint8Array;
  /** Blob or manifest digest for the call log. */
  digest?: string;
  /** Statuses that count as success. */
  expect: number[];
  /** Retry temporary failures; only for requests that are safe to repeat. */
  retry: boolean;
}

/** Maximum bytes read from an error or token reply. */
const MAX_REPLY_TEXT_BYTES = 1 << 20;

/** Returns a session for `options.repository` on `options.registry`. */
export function createSession(options: SessionOptions): RegistrySession {
  const registry = parseRegistryHost(options.registry);
  const repository = parseRepository(options.repository);
  const baseURL = registryBaseURL(registry, options.insecure);
  const session: RegistrySession = {
    registry,
    repository,
    baseURL,
    policy: retryPolicy(options.retry),
    log: options.log ?? SILENT_LOGGER,
    signal: options.signal,
    options,
    authenticator: new Authenticator({
      auth: options.auth ?? { type: 'anonymous' },
      origin: baseURL.origin,
      scopes: [repositoryScope(repository, ['pull', 'push'])],
      insecure: options.insecure ?? false,
      cache: options.authCache,
      fetchToken: (url, authorization) =>
        fetchToken(session, url, authorization),
    }),
  };
  return session;
}

/** Returns the URL of `/v2/<repository>/<suffix>` on the session's registry. */
export function repositoryURL(session: RegistrySession, suffix: string): URL {
  return new URL(`/v2/${session.repository}/${suffix}`, session.baseURL);
}

/** Sends `spec`, retrying temporary failures when `spec.retry` is set. */
export async function send(
  session: RegistrySession,
  spec: CallSpec,
): Promise<Response> {
  const attempts = spec.retry ? session.policy.attempts : 1;
  for (let attempt = 1; ; attempt++) {
    const result = await sendOnce(session, spec);
    if (result instanceof Response) return result;
    if (!result.temporary || attempt >= attempts) {
      throw attempt > 1 ? result.afterAttempts(attempt) : result;
    }
    await waitBeforeRetry(session, spec, result, attempt);
  }
}

/**
 * Sleeps before try `attempt + 1` of `spec` after `failure`. Throws `failure`
 * when the registry requests a longer wait than the policy allows.
 */
export async function waitBeforeRetry(
  session: RegistrySession,
  spec: CallSpec,
  failure: RegistryError,
  attempt: number,
): Promise<void> {
  const { policy } = session;
  if ((failure.retryAfterMs ?? 0) > policy.maxRetryAfterMs) {
    throw failure.afterAttempts(attempt);
  }
  const delay = backoffDelay(policy, attempt, failure.retryAfterMs);
  session.log.warn(
    `${spec.step}: ${spec.method} ${redactPath(spec.url)} got ${failure.status} ` +
      `(${failure.code}), try ${attempt + 1} of ${policy.attempts} in ${delay} ms`,
  );
  await sleep(delay, session.signal);
}

/**
 * Makes one try of `spec`, with one auth retry after a 401. Returns the
 * response on an expected status, else the failure as a RegistryError.
 * Throws only for cancellation and disallowed hosts.
 */
export async function sendOnce(
  session: RegistrySession,
  spec: CallSpec,
): Promise<Response | RegistryError> {
  checkAllowed(session, spec.url, spec.step);
  try {
    if (spec.body && !session.authenticator.knowsChallenge) {
      await learnChallenge(session);
    }
    const sent = await session.authenticator.authorization();
    let response = await exchange(session, spec, sent);
    if (sent === undefined && response.status !== 401) {
      session.authenticator.noteNoChallenge();
    }
    if (
      response.status === 401 &&
      (await session.authenticator.handleUnauthorized(response, sent))
    ) {
      await discard(response);
      const retried = await session.authenticator.authorization();
      response = await exchange(session, spec, retried);
    }
    if (spec.expect.includes(response.status)) return response;
    return await errorFromResponse(response, spec);
  } catch (error) {
    if (error instanceof RegistryError) return error;
    if (isConnectionError(error)) return noReplyError(spec, error);
    throw error;
  }
}

/** Returns the error for a reply with an unexpected status; reads its body. */
export async function errorFromResponse(
  response: Response,
  spec: Pick<CallSpec, 'step' | 'method' | 'url'>,
): Promise<RegistryError> {
  const text = await readText(response, MAX_REPLY_TEXT_BYTES);
  const redirected = response.status >= 300 && response.status < 400;
  return new RegistryError({
    step: spec.step,
    status: response.status,
    method: spec.method,
    path: redactPath(spec.url),
    diagnostics: parseDiagnostics(text),
    retryAfterMs: parseRetryAfter(response.headers.get('retry-after')),
    reason: redirected ? redirectReason(response, spec.url) : undefined,
  });
}

function redirectReason(response: Response, url: URL): string {
  const location = response.headers.get('location');
  const target = location ? redactPath(new URL(location, url)) : 'nowhere';
  return `unexpected redirect ${response.status} to ${target}`;
}

/** Returns the Location of `response` resolved against the request URL. */
export function locationOf(response: Response, spec: CallSpec): URL {
  const location = response.headers.get('location');
  if (!location) {
    throw new RegistryError({
      step: spec.step,
      status: response.status,
      method: spec.method,
      path: redactPath(spec.url),
      reason: `reply ${response.status} has no Location header`,
      temporary: false,
    });
  }
  return new URL(location, spec.url);
}

/** Reads and drops a response body so the connection can be reused. */
export async function discard(response: Response): Promise<void> {
  try {
    await response.body?.cancel();
  } catch {
    // A body that fails to cancel has already ended.
  }
}

/** Returns up to `limit` bytes of the body as text. */
export async function readText(response: Response, limit: number): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  let read = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return text + decoder.decode();
    read += value.length;
    text += decoder.decode(value, { stream: true });
    if (read >= limit) {
      await reader.cancel();
      return text;
    }
  }
}

function checkAllowed(session: RegistrySession, url: URL, step: string): void {
  const allowed = session.options.isAllowedURL?.(url) ?? true;
  if (!allowed) throw new RegistryNotAllowedError(step, url.host);
}

/** `GET /v2/` without credentials, to learn the challenge before a body is sent. */
async function learnChallenge(session: RegistrySession): Promise<void> {
  const spec: CallSpec = {
    step: 'checking registry auth',
    method: 'GET',
    url: new URL('/v2/', session.baseURL),
    expect: [200, 401],
    retry: false,
  };
  const response = await exchange(session, spec, undefined);
  session.authenticator.learnChallenge(response);
  await discard(response);
}

async function exchange(
  session: RegistrySession,
  spec: CallSpec,
  authorization: string | undefined,
): Promise<Response> {
  const fetchImpl = session.options.fetch ?? fetch;
  const headers: Record<string, string> = { ...spec.headers };
  if (authorization) headers.authorization = authorization;
  const started = Date.now();
  let status = NO_REPLY_STATUS;
  try {
    const response = await fetchImpl(spec.url, {
      method: spec.method,
      headers,
      // BodyInit wants an ArrayBuffer-backed view; the client never makes
      // views over SharedArrayBuffer.
      body: spec.body as Uint8Array<ArrayBuffer> | undefined,
      redirect: 'manual',
      signal: session.signal,
    });
    status = response.status;
    return response;
  } finally {
    session.options.onCall?.({
      method: spec.method,
      host: spec.url.host,
      path: redactPath(spec.url),
      status,
      digest: spec.digest,
      durationMs: Date.now() - started,
    });
  }
}

async function fetchToken(
  session: RegistrySession,
  url: URL,
  authorization: string | undefined,
): Promise<unknown> {
  const spec: CallSpec = {
    step: 'fetching token',
    method: 'GET',
    url,
    expect: [200],
    retry: false,
  };
  checkAllowed(session, url, spec.step);
  let response: Response;
  try {
    response = await exchange(session, spec, authorization);
  } catch (error) {
    if (isConnectionError(error)) throw noReplyError(spec, error);
    throw error;
  }
  if (response.status !== 200) throw await errorFromResponse(response, spec);
  const text = await readText(response, MAX_REPLY_TEXT_BYTES);
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new RegistryError({
      step: spec.step,
      status: 200,
      method: spec.method,
      path: redactPath(url),
      reason: 'token reply is not JSON',
      temporary: false,
      cause,
    });
  }
}

function noReplyError(spec: CallSpec, error: unknown): RegistryError {
  return new RegistryError({
    step: spec.step,
    status: NO_REPLY_STATUS,
    method: spec.method,
    path: redactPath(spec.url),
    reason: `no reply (${connectionFailure(error)})`,
    cause: error,
  });
}
