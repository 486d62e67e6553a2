/** Cutting a byte stream into upload parts of a fixed size. */
import { InvalidInputError, abortError } from '../core/errors';

/** Default upload part size: 5 MiB, the minimum part of an S3 multipart upload. */
export const DEFAULT_PART_SIZE_BYTES = 5 << 20;

/**
 * Yields `source` as parts of exactly `partSize` bytes, the last one shorter.
 * Each part is a new array, so a caller may keep it while the next is read.
 */
export async function* partsOf(
  source: AsyncIterable<Uint8Array>,
  partSize: number,
  signal?: AbortSignal,
): AsyncGenerator<Uint8Array> {
  if (!Number.isSafeInteger(partSize) || partSize < 1) {
    throw new InvalidInputError(`partsOf: invalid part size ${partSize}`);
  }
  let buffer = new Uint8Array(partSize);
  let filled = 0;
  for await (const piece of source) {
    if (signal?.aborted) throw abortError();
    for (let at = 0; at < piece.length; ) {
      const take = Math.min(partSize - filled, piece.length - at);
      buffer.set(piece.subarray(at, at + take), filled);
      filled += take;
      at += take;
      if (filled === partSize) {
        yield buffer;
        buffer = new Uint8Array(partSize);
        filled = 0;
      }
    }
  }
  if (filled > 0) yield buffer.subarray(0, filled);
}
