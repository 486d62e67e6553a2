/**
 * The store lock keeps mark-and-sweep away from ingests in flight. An ingest
 * skips chunks that are already stored, so between its putMany calls and its
 * putImage those chunks may be referenced by nothing but the ingest itself. A
 * sweep in that window would delete them and the image would commit broken.
 *
 * Protocol:
 * - An ingest holds the lock in 'shared' mode from its first putMany until its
 *   putImage returns or the ingest fails. Many ingests run at once.
 * - deleteImage, collectGarbage and clear take the lock in 'exclusive' mode
 *   themselves, so a sweep waits for running ingests and new ingests wait
 *   for the sweep.
 * - Requests are granted in order: a shared request made while an exclusive
 *   one waits also waits, so sweeps are not starved.
 * - The lock is not re-entrant. Calling deleteImage, collectGarbage or clear
 *   inside `fn`, or requesting the lock again there, deadlocks.
 *
 * In browsers and workers the lock is a Web Lock (`navigator.locks`), which
 * holds across the tabs and workers of one origin. Where the Web Locks API is
 * missing (Node 20) it is a lock inside this process (or worker thread) only.
 */
import { abortError } from '../core/errors';

export type StoreLockMode = 'shared' | 'exclusive';

/** Lock name that every store uses unless it is given another one. */
export const STORE_LOCK_NAME = 'chunked-containers-store';

export interface StoreLockOptions {
  /** Lock name; defaults to STORE_LOCK_NAME. */
  name?: string;
  /** Aborts the wait for the lock; once `fn` runs, `fn` handles the signal. */
  signal?: AbortSignal;
}

/** Runs `fn` while holding the store lock in `mode` and returns its result. */
export async function withStoreLock<T>(
  mode: StoreLockMode,
  fn: () => Promise<T>,
  options: StoreLockOptions = {},
): Promise<T> {
  const name = options.name ?? STORE_LOCK_NAME;
  if (options.signal?.aborted) throw abortError();
  const locks = webLocks();
  if (locks) return withWebLock(locks, name, mode, fn, options.signal);
  const release = await acquireLocalLock(name, mode, options.signal);
  try {
    return await fn();
  } finally {
    release();
  }
}

function webLocks(): LockManager | undefined {
  if (typeof navigator === 'undefined') return undefined;
  return navigator.locks ?? undefined;
}

async function withWebLock<T>(
  locks: LockManager,
  name: string,
  mode: StoreLockMode,
  fn: () => Promise<T>,
  signal: AbortSignal | undefined,
): Promise<T> {
  let started = false;
  try {
    return await locks.request(name, { mode, signal }, () => {
      started = true;
      return fn();
    });
  } catch (error) {
    // An aborted wait rejects with the signal's reason, which may be anything
    // the caller passed to abort(); cancellation here is always AbortError.
    if (!started && signal?.aborted) throw abortError();
    throw error;
  }
}

interface LocalRequest {
  mode: StoreLockMode;
  grant(): void;
}

interface LocalLock {
  /** Mode of the current holders; undefined while the lock is free. */
  mode: StoreLockMode | undefined;
  holders: number;
  queue: LocalRequest[];
}

const localLocks = new Map<string, LocalLock>();

/** Waits for the in-process lock and returns the function that releases it. */
function acquireLocalLock(
  name: string,
  mode: StoreLockMode,
  signal: AbortSignal | undefined,
): Promise<() => void> {
  const lock = localLock(name);
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      const at = lock.queue.indexOf(request);
      if (at < 0) return;
      lock.queue.splice(at, 1);
      reject(abortError());
      // The aborted request may have stood before compatible ones.
      grantQueued(lock);
    };
    const request: LocalRequest = {
      mode,
      grant() {
        signal?.removeEventListener('abort', onAbort);
        resolve(releaseOnce(name, lock));
      },
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    lock.queue.push(request);
    grantQueued(lock);
  });
}

function localLock(name: string): LocalLock {
  let lock = localLocks.get(name);
  if (!lock) {
    lock = { mode: undefined, holders: 0, queue: [] };
    localLocks.set(name, lock);
  }
  return lock;
}

/** Grants queued requests in order for as long as they fit the holders. */
function grantQueued(lock: LocalLock): void {
  while (lock.queue.length > 0) {
    const next = lock.queue[0];
    const fits =
      lock.holders === 0 || (lock.mode === 'shared' && next.mode === 'shared');
    if (!fits) return;
    lock.queue.shift();
    lock.holders += 1;
    lock.mode = next.mode;
    next.grant();
  }
}

function releaseOnce(name: string, lock: LocalLock): () => void {
  let released = false;
  return () => {
    if (released) return;
    released = true;
    lock.holders -= 1;
    if (lock.holders === 0) lock.mode = undefined;
    grantQueued(lock);
    if (lock.holders === 0 && lock.queue.length === 0) localLocks.delete(name);
  };
}
