/**
 * Re-chunking from the store: a stored image indexed with another strategy
 * without its archive. A layer's uncompressed tar stream is the
 * concatenation, in index order, of the chunks of any index of that layer,
 * so the store alone can replay it. The diffID check of the new ingest
 * proves that the replay was lossless.
 */
import type { ChunkStore } from '../../store/chunk-store';
import type { ArchiveImage, ArchiveLayer, OpenLayerOptions } from '../archive/types';
import type { StrategyParams } from '../chunk/strategy';
import type { Digest } from '../digest';
import { layerCompression } from '../compression';
import { DigestMismatchError, SizeMismatchError, UnsupportedError, abortError } from '../errors';
import type { ImageRecord, LayerIndex, LayerSummary } from '../layer-index';
import { OCI_LAYER, parseImageConfig } from '../oci';
import { createHasher } from '../sha256';
import { ingestImage, storeLayerResult } from './image';
import type { IngestImageOptions, IngestImageResult, LayerOutcome } from './image';
import { ingestLayer } from './layer';
import type { IngestLayerOptions } from './layer';

/** Chunks requested from the store ahead of the one being streamed. */
const READ_AHEAD_CHUNKS = 8;

/**
 * Returns the uncompressed layer that `index` describes, streamed from the
 * store chunk by chunk. As for any uncompressed layer, its digest is its
 * diffID. Opening it throws ChunkNotFoundError for a missing chunk and
 * SizeMismatchError for a chunk of another size than the index records.
 */
export function storedLayer(
  index: LayerIndex,
  store: ChunkStore,
  layerIndex: number,
): ArchiveLayer {
  const member = `stored layer ${index.layerDigest}`;
  return {
    index: layerIndex,
    member,
    digest: index.diffID as string as Digest,
    diffID: index.diffID,
    mediaType: OCI_LAYER,
    size: index.size,
    compression: 'none',
    open: (options: OpenLayerOptions = {}) => streamChunks(index, store, member, options),
  };
}

async function* streamChunks(
  index: LayerIndex,
  store: ChunkStore,
  member: string,
  options: OpenLayerOptions,
): AsyncGenerator<Uint8Array> {
  const { signal } = options;
  const hasher = options.verifyDigest === false ? undefined : await createHasher();
  const pending: Promise<Uint8Array>[] = [];
  let next = 0;
  let offset = 0;
  const request = () => {
    while (pending.length < READ_AHEAD_CHUNKS && next < index.chunks.length) {
      const read = store.get(index.chunks[next++].digest, { signal });
      // A read left pending by an early return must not become an unhandled rejection.
      read.catch(() => undefined);
      pending.push(read);
    }
  };
  for (const chunk of index.chunks) {
    if (signal?.aborted) throw abortError();
    request();
    const bytes = await pending.shift()!;
    if (bytes.length !== chunk.size) {
      throw new SizeMismatchError(
        `reading ${member}: chunk ${chunk.digest} at offset ${chunk.offset}`,
        chunk.size,
        bytes.length,
      );
    }
    hasher?.update(bytes);
    offset += bytes.length;
    yield bytes;
  }
  if (offset !== index.size) {
    throw new SizeMismatchError(`reading ${member}: the chunks do not add up to the layer size`, index.size, offset);
  }
  const actual = hasher?.digest();
  if (actual !== undefined && (actual as string) !== index.diffID) {
    throw new DigestMismatchError(`reading ${member}`, index.diffID, actual);
  }
}

/**
 * Returns the layer blob as its archive stored it, as a summary or index
 * records it: digest, media type and size. The blob itself is not kept, so
 * opening it throws UnsupportedError. ingestLayer reads a storedLayer instead.
 */
export function recordedLayer(
  layer: Pick<LayerSummary, 'layerDigest' | 'diffID' | 'mediaType' | 'compressedSize'>,
  layerIndex: number,
): ArchiveLayer {
  const member = `stored layer ${layer.layerDigest}`;
  return {
    index: layerIndex,
    member,
    digest: layer.layerDigest,
    diffID: layer.diffID,
    mediaType: layer.mediaType,
    size: layer.compressedSize,
    compression: layerCompression(layer.mediaType, member),
    open: () => {
      throw new UnsupportedError(
        `reading ${member}: the blob as stored is not kept, only its chunks`,
      );
    },
  };
}

/** Options of `reindexLayer`. */
export interface ReindexLayerOptions {
  strategy: StrategyParams;
  filesystem: boolean;
  store: ChunkStore;
  hashChunk?: IngestLayerOptions['hashChunk'];
  signal?: AbortSignal;
  onProgress?: IngestLayerOptions['onProgress'];
}

/**
 * Indexes one stored layer with another strategy, reading it from the chunks
 * of `source`, and stores the new index. The new index keeps the source's
 * layer digest, media type and compressed size.
 */
export async function reindexLayer(
  source: LayerIndex,
  layerIndex: number,
  options: ReindexLayerOptions,
): Promise<LayerOutcome> {
  const result = await ingestLayer(recordedLayer(source, layerIndex), {
    layerIndex,
    strategy: options.strategy,
    filesystem: options.filesystem,
    store: options.store,
    hashChunk: options.hashChunk,
    signal: options.signal,
    onProgress: options.onProgress,
    readFrom: storedLayer(source, options.store, layerIndex),
  });
  return storeLayerResult(options.store, layerIndex, result, options.signal);
}

/** Options of `reindexImage`; `runLayer` gets the position of the layer to reindex. */
export type ReindexImageOptions = Omit<
  IngestImageOptions,
  'strategy' | 'filesystem' | 'store' | 'inflate'
>;

/**
 * Builds and stores the record of a stored image under another strategy,
 * with the same manifest and config bytes, by re-chunking every layer from
 * the store. Layers run through `options.runLayer` (a worker pool in the
 * browser) or, by default, `reindexLayer` in this thread over the indexes of
 * `record`. As for any ingest, the caller runs it inside
 * `withStoreLock('shared')`.
 */
export async function reindexImage(
  record: ImageRecord,
  strategy: StrategyParams,
  filesystem: boolean,
  store: ChunkStore,
  options: ReindexImageOptions = {},
): Promise<IngestImageResult> {
  const runLayer =
    options.runLayer ??
    (async (layerIndex: number, signal?: AbortSignal) => {
      const source = await store.getIndex(record.layers[layerIndex].indexDigest, { signal });
      return reindexLayer(source, layerIndex, {
        strategy,
        filesystem,
        store,
        hashChunk: options.hashChunk,
        signal: signal ?? options.signal,
        onProgress: options.onProgress,
      });
    });
  return ingestImage(storedImage(record), record.sourceName, {
    ...options,
    strategy,
    filesystem,
    store,
    runLayer,
  });
}

/** Returns the image a record describes, with recorded layers that cannot be opened. */
export function storedImage(record: ImageRecord): ArchiveImage {
  const where = `image ${record.manifestDigest}: config`;
  const config = parseImageConfig(record.rawConfig, where);
  return {
    name: record.repoTags[0] ?? record.sourceName,
    repoTags: record.repoTags,
    platform: record.platform,
    manifestDigest: record.manifestDigest,
    manifestMediaType: record.manifestMediaType,
    rawManifest: record.rawManifest,
    manifestSynthesized: false,
    configDigest: record.configDigest,
    rawConfig: record.rawConfig,
    config,
    layers: record.layers.map((layer, i) => recordedLayer(layer, i)),
  };
}
