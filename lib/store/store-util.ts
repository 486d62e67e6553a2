/** Small helpers that every chunk store implementation shares. */
import type { Digest } from '../core/digest';
import { abortError, InvalidInputError, NotFoundError } from '../core/errors';

/** Throws the AbortError DOMException when `signal` is aborted. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortError();
}

/** Parses an image key: any non-empty string. */
export function checkImageKey(key: unknown, where: string): string {
  if (typeof key === 'string' && key.length > 0) return key;
  throw new InvalidInputError(
    `${where}: invalid image key ${JSON.stringify(key)}, expected a non-empty string`,
  );
}

/**
 * Returns bytes that own their whole buffer, copying a view into a larger
 * buffer. Structured clone (IndexedDB, postMessage) serializes a typed array's
 * entire buffer, so storing a 64 KiB view into a 1 MiB piece would store 1 MiB.
 */
export function ownBytes(bytes: Uint8Array): Uint8Array {
  if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength) {
    return bytes;
  }
  return bytes.slice();
}

/**
 * Returns, per chunk, whether it is the first one in the batch with its digest.
 * A later chunk with the same digest is never new.
 */
export function firstOccurrences(digests: readonly Digest[]): boolean[] {
  const seen = new Set<string>();
  return digests.map((digest) => {
    if (seen.has(digest)) return false;
    seen.add(digest);
    return true;
  });
}

/** Orders image records by key, the order every store lists them in. */
export function compareByKey(a: { key: string }, b: { key: string }): number {
  if (a.key < b.key) return -1;
  return a.key > b.key ? 1 : 0;
}

/** Returns the error for a layer index the store lacks. */
export function indexNotFound(indexDigest: Digest): NotFoundError {
  return new NotFoundError(`layer index ${indexDigest} is not in the chunk store`);
}

/** Returns the error for an image record the store lacks. */
export function imageNotFound(key: string): NotFoundError {
  return new NotFoundError(`image ${JSON.stringify(key)} is not in the chunk store`);
}
