/**
 * Random access to a blob kept in the chunk store as fixed-size chunks, such
 * as a built eStargz layer: a read at an offset finds the chunks that cover
 * it by binary search and fetches only those. The eStargz reader and
 * verifier read a blob in many small, mostly sequential pieces, so the last
 * few chunks read stay cached.
 */
import type { ByteSource } from '../core/bytes';
import { concatBytes } from '../core/bytes';
import { SizeMismatchError } from '../core/errors';
import type { Chunk } from '../core/layer-index';
import type { ChunkStore } from '../store/chunk-store';

/** Chunks kept in memory per source; 4 chunks of 1 MiB for blob chunks. */
const CACHED_CHUNKS = 4;

/**
 * Returns a ByteSource over the blob that `chunks` cover in order from
 * offset 0. Reads throw ChunkNotFoundError for a missing chunk and
 * SizeMismatchError for a stored chunk of another size than listed.
 */
export function storedBlobSource(
  chunks: readonly Chunk[],
  store: ChunkStore,
  options: { name?: string; signal?: AbortSignal } = {},
): ByteSource {
  const name = options.name ?? 'stored blob';
  const last = chunks[chunks.length - 1];
  const size = last ? last.offset + last.size : 0;
  const cache = new Map<number, Promise<Uint8Array>>();

  const chunkBytes = (position: number): Promise<Uint8Array> => {
    const cached = cache.get(position);
    if (cached) {
      // Map order is insertion order; move the chunk to the end as most recent.
      cache.delete(position);
      cache.set(position, cached);
      return cached;
    }
    const chunk = chunks[position];
    const read = store.get(chunk.digest, { signal: options.signal }).then((bytes) => {
      if (bytes.length !== chunk.size) {
        throw new SizeMismatchError(
          `reading ${name}: chunk ${chunk.digest} at offset ${chunk.offset}`,
          chunk.size,
          bytes.length,
        );
      }
      return bytes;
    });
    // A failed read must not stay cached, so a later read tries again.
    read.catch(() => cache.delete(position));
    cache.set(position, read);
    if (cache.size > CACHED_CHUNKS) cache.delete(cache.keys().next().value!);
    return read;
  };

  return {
    name,
    size,
    async read(offset, length) {
      const end = Math.min(size, offset + length);
      if (end <= offset) return new Uint8Array(0);
      const parts: Uint8Array[] = [];
      for (let i = chunkAt(chunks, offset); i < chunks.length && chunks[i].offset < end; i++) {
        const chunk = chunks[i];
        const bytes = await chunkBytes(i);
        const from = Math.max(0, offset - chunk.offset);
        const to = Math.min(chunk.size, end - chunk.offset);
        parts.push(bytes.subarray(from, to));
      }
      return parts.length === 1 ? parts[0] : concatBytes(parts);
    },
  };
}

/** Returns the position of the chunk that contains `offset`; chunks are sorted by offset. */
function chunkAt(chunks: readonly Chunk[], offset: number): number {
  let low = 0;
  let high = chunks.length - 1;
  while (low < high) {
    const middle = (low + high + 1) >> 1;
    if (chunks[middle].offset <= offset) low = middle;
    else high = middle - 1;
  }
  return low;
}
