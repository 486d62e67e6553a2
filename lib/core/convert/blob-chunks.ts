/**
 * Blobs kept in the chunk store as they are stored in a registry: cut into
 * fixed-size chunks, which IndexedDB writes about three times faster than
 * 64 KiB ones, and read back in order.
 */
import type { ChunkStore } from '../../store/chunk-store';
import type { Digest } from '../digest';
import { SizeMismatchError, abortError } from '../errors';
import type { Chunk } from '../layer-index';
import { sha256 } from '../sha256';
import { ChunkAssembler } from '../ingest/assembler';

/** Size of the chunks a stored blob is cut into: 1 MiB. */
export const BLOB_CHUNK_SIZE_BYTES = 1 << 20;

/** Chunks stored per putMany. */
const BATCH_CHUNKS = 8;

/** Stores `stream` as fixed-size chunks and returns their list in blob order. */
export async function storeBlob(
  stream: AsyncIterable<Uint8Array>,
  store: ChunkStore,
  options: { signal?: AbortSignal; hashChunk?: (bytes: Uint8Array) => Promise<Digest> } = {},
): Promise<Chunk[]> {
  const hashChunk = options.hashChunk ?? sha256;
  const assembler = new ChunkAssembler();
  const chunks: Chunk[] = [];
  let batch: { digest: Digest; bytes: Uint8Array }[] = [];
  let total = 0;
  const flush = async () => {
    if (batch.length > 0) await store.putMany(batch, { signal: options.signal });
    batch = [];
  };
  const cut = async (end: number) => {
    const offset = assembler.start;
    const bytes = assembler.take(end);
    const digest = await hashChunk(bytes);
    chunks.push({ digest, offset, size: bytes.length });
    batch.push({ digest, bytes });
    if (batch.length >= BATCH_CHUNKS) await flush();
  };
  for await (const piece of stream) {
    if (options.signal?.aborted) throw abortError();
    assembler.append(piece);
    total += piece.length;
    while (total - assembler.start >= BLOB_CHUNK_SIZE_BYTES) await cut(assembler.start + BLOB_CHUNK_SIZE_BYTES);
  }
  if (total > assembler.start) await cut(total);
  await flush();
  return chunks;
}

/** Streams a stored blob from its chunk list, a few chunks read ahead. */
export async function* readBlob(
  chunks: readonly Chunk[],
  store: ChunkStore,
  options: { signal?: AbortSignal; name?: string } = {},
): AsyncGenerator<Uint8Array> {
  const ahead: Promise<Uint8Array>[] = [];
  let next = 0;
  for (const chunk of chunks) {
    if (options.signal?.aborted) throw abortError();
    while (ahead.length < 4 && next < chunks.length) {
      const read = store.get(chunks[next++].digest, { signal: options.signal });
      read.catch(() => undefined);
      ahead.push(read);
    }
    const bytes = await ahead.shift()!;
    if (bytes.length !== chunk.size) {
      throw new SizeMismatchError(
        `reading ${options.name ?? 'blob'}: chunk ${chunk.digest} at offset ${chunk.offset}`,
        chunk.size,
        bytes.length,
      );
    }
    yield bytes;
  }
}
