/**
 * Retry timing for registry calls: exponential backoff with jitter, the
 * `Retry-After` header (RFC 9110 §10.2.3, seconds or an HTTP date), and an
 * abortable sleep.
 */
import { abortError } from '../core/errors';

/** How many times and how long to retry a temporary failure. */
export interface RetryPolicy {
  /** Tries per request, the first one included. */
  attempts: number;
  /** Delay before the second try; it doubles for each later one. */
  baseDelayMs: number;
  /** Upper bound of a backoff delay. */
  maxDelayMs: number;
  /** Longest `Retry-After` to wait for; a longer one fails the request. */
  maxRetryAfterMs: number;
}

/** Five tries over about four seconds, waiting at most a minute for Retry-After. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  attempts: 5,
  baseDelayMs: 250,
  maxDelayMs: 8_000,
  maxRetryAfterMs: 60_000,
};

/** Returns `policy` with the fields of `overrides` applied. */
export function retryPolicy(overrides?: Partial<RetryPolicy>): RetryPolicy {
  return { ...DEFAULT_RETRY_POLICY, ...overrides };
}

/**
 * Returns the wait that a `Retry-After` value asks for, in milliseconds, or
 * undefined when the header is absent or unreadable.
 */
export function parseRetryAfter(
  value: string | null,
  now = Date.now(),
): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/**
 * Returns the delay before try number `attempt + 1`: the registry's
 * `Retry-After` when given, else half to all of the exponential backoff.
 */
export function backoffDelay(
  policy: RetryPolicy,
  attempt: number,
  retryAfterMs?: number,
): number {
  if (retryAfterMs !== undefined) return retryAfterMs;
  const exponential = policy.baseDelayMs * 2 ** (attempt - 1);
  const capped = Math.min(policy.maxDelayMs, exponential);
  return Math.round(capped / 2 + (Math.random() * capped) / 2);
}

/** Resolves after `ms`, or rejects with AbortError when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError());
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Returns true for a fetch that failed without an HTTP reply: refused, reset
 * or cut connections. Node's fetch raises TypeError("fetch failed") with the
 * socket error as `cause`; browsers raise TypeError("Failed to fetch").
 */
export function isConnectionError(error: unknown): boolean {
  return error instanceof TypeError;
}

/** Returns the socket error code or message behind a failed fetch. */
export function connectionFailure(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } })
    ?.cause;
  if (typeof cause?.code === 'string') return cause.code;
  if (typeof cause?.message === 'string') return cause.message;
  return error instanceof Error ? error.message : String(error);
}
