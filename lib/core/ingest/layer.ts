/**
 * Ingest of one layer: inflate, walk the tar entries, cut chunks with the
 * chosen strategy, hash them, store the new ones and build the layer index.
 * Memory stays bounded by the largest chunk plus one store batch, whatever the
 * layer size.
 */
import type { ChunkStore } from '../../store/chunk-store';
import type { ArchiveLayer } from '../archive/types';
import { createCutter } from '../chunk/cutter';
import type { StrategyParams } from '../chunk/strategy';
import { decompress } from '../compression';
import type { DiffID, Digest } from '../digest';
import { DigestMismatchError, abortError, assert } from '../errors';
import { LAYER_INDEX_SCHEMA } from '../layer-index';
import type { Chunk, LayerIndex } from '../layer-index';
import { createHasher, sha256 } from '../sha256';
import { TarStreamParser } from '../tar/reader';
import type { TarEntry } from '../tar/entry';
import { ChunkAssembler } from './assembler';
import { indexDigest } from './index-digest';
import { readSourceTOC } from './source-toc';

/** Progress of one layer; bytes count the blob as stored, as read so far. */
export interface LayerProgress {
  layerIndex: number;
  bytesDone: number;
  bytesTotal: number;
  uncompressedBytes: number;
  chunksNew: number;
  chunksDeduplicated: number;
}

export interface IngestLayerOptions {
  layerIndex: number;
  strategy: StrategyParams;
  filesystem: boolean;
  store: ChunkStore;
  /** Chunk hash; defaults to hash-wasm SHA-256. The browser passes WebCrypto, which is faster for whole chunks. */
  hashChunk?: (bytes: Uint8Array) => Promise<Digest>;
  /** Gzip inflater; defaults to fflate. */
  inflate?: (pieces: AsyncIterable<Uint8Array>) => AsyncIterable<Uint8Array>;
  signal?: AbortSignal;
  onProgress?: (progress: LayerProgress) => void;
  /**
   * Layer to read the bytes from instead of `layer`, with the same diffID,
   * such as the uncompressed stream that `storedLayer` rebuilds from stored
   * chunks. The index still records `layer`'s digest, media type and size,
   * and progress counts the bytes of this stream. Its blob digest is not
   * checked, because the diffID check covers its content.
   */
  readFrom?: ArchiveLayer;
}

export interface IngestLayerResult {
  index: LayerIndex;
  indexDigest: Digest;
  /** Digest of the blob as read, also when the archive did not name one. */
  layerDigest: Digest;
  chunksNew: number;
  chunksDeduplicated: number;
  bytesNew: number;
}

/** Store batches hold at most this many chunks or bytes before one putMany. */
const BATCH_MAX_CHUNKS = 64;
const BATCH_MAX_BYTES = 8 << 20;

/** Chunks, hashes and stores one layer and returns its index; does not store the index. */
export async function ingestLayer(
  layer: ArchiveLayer,
  options: IngestLayerOptions,
): Promise<IngestLayerResult> {
  const { signal } = options;
  const hashChunk = options.hashChunk ?? sha256;
  const input = options.readFrom ?? layer;
  assert(
    input === layer || layer.digest !== undefined,
    'a layer read from another stream needs its blob digest',
  );
  const progress: LayerProgress = {
    layerIndex: options.layerIndex,
    bytesDone: 0,
    bytesTotal: input.size,
    uncompressedBytes: 0,
    chunksNew: 0,
    chunksDeduplicated: 0,
  };
  let bytesNew = 0;

  const blobHasher = layer.digest ? undefined : await createHasher();
  const diffHasher = await createHasher();
  const cutter = createCutter(options.strategy, { filesystem: options.filesystem });
  const where = `layer ${options.layerIndex} (${input.member})`;
  const parser = options.filesystem ? new TarStreamParser({ name: where }) : undefined;
  const entries: TarEntry[] = [];
  const chunks: Chunk[] = [];
  const assembler = new ChunkAssembler();
  let batch: Uint8Array[] = [];
  let batchBytes = 0;

  const flush = async () => {
    if (batch.length === 0) return;
    const pending = batch;
    batch = [];
    batchBytes = 0;
    const digests = await Promise.all(pending.map((bytes) => hashChunk(bytes)));
    const fresh = await options.store.putMany(
      pending.map((bytes, i) => ({ digest: digests[i], bytes })),
      { signal },
    );
    for (let i = 0; i < pending.length; i++) {
      chunks[chunks.length - pending.length + i].digest = digests[i];
      if (fresh[i]) {
        progress.chunksNew++;
        bytesNew += pending[i].length;
      } else {
        progress.chunksDeduplicated++;
      }
    }
    options.onProgress?.({ ...progress });
  };

  const emit = async (cuts: number[]) => {
    for (const cut of cuts) {
      const start = assembler.start;
      const bytes = assembler.take(cut);
      chunks.push({ digest: '' as Digest, offset: start, size: bytes.length });
      batch.push(bytes);
      batchBytes += bytes.length;
      if (batch.length >= BATCH_MAX_CHUNKS || batchBytes >= BATCH_MAX_BYTES) await flush();
    }
  };

  // An uncompressed blob whose digest is its diffID is checked by the diffID
  // check below, so the reader does not hash the same bytes a second time.
  const sameAsDiffID =
    input.compression === 'none' && (input.digest as string | undefined) === input.diffID;
  const opened = input.open({ signal, verifyDigest: input === layer && !sameAsDiffID });
  const counted = countBytes(opened, (piece) => {
    progress.bytesDone += piece.length;
    blobHasher?.update(piece);
  });
  for await (const piece of decompress(counted, input.compression, {
    name: where,
    inflate: options.inflate,
    signal,
  })) {
    if (signal?.aborted) throw abortError();
    diffHasher.update(piece);
    if (parser) {
      for (const event of parser.push(piece)) {
        if (event.type === 'entry') entries.push(event.entry);
      }
    }
    progress.uncompressedBytes += piece.length;
    assembler.append(piece);
    await emit(cutter.push(piece, parser?.regionStarts));
    options.onProgress?.({ ...progress });
  }
  if (parser) {
    for (const event of parser.finish()) if (event.type === 'entry') entries.push(event.entry);
  }
  await emit(cutter.finish());
  await flush();

  const diffID = diffHasher.digest() as string as DiffID;
  if (diffID !== layer.diffID) {
    throw new DigestMismatchError(
      `layer ${options.layerIndex} (${layer.member}): uncompressed content does not match the config's diffID`,
      layer.diffID,
      diffID,
    );
  }
  const layerDigest = layer.digest ?? blobHasher!.digest();
  const sourceTOC = input === layer ? await readSourceTOC(layer, signal) : undefined;
  const index: LayerIndex = {
    schema: LAYER_INDEX_SCHEMA,
    layerDigest,
    diffID: layer.diffID,
    mediaType: layer.mediaType,
    compressedSize: layer.size,
    size: progress.uncompressedBytes,
    strategy: options.strategy,
    filesystem: options.filesystem,
    chunks,
    ...(options.filesystem ? { entries } : {}),
    ...(sourceTOC ? { sourceTOC } : {}),
  };
  return {
    index,
    indexDigest: await indexDigest(index),
    layerDigest,
    chunksNew: progress.chunksNew,
    chunksDeduplicated: progress.chunksDeduplicated,
    bytesNew,
  };
}

async function* countBytes(
  pieces: AsyncIterable<Uint8Array>,
  observe: (piece: Uint8Array) => void,
): AsyncGenerator<Uint8Array> {
  for await (const piece of pieces) {
    observe(piece);
    yield piece;
  }
}
