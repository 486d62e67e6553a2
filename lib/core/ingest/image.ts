/**
 * Ingest of a whole image: every layer chunked and verified, then the indexes
 * and, last, the image record, so an image appears only once all its layers
 * are in place. Layers run through `runLayer`, which the browser points at a
 * worker pool and Node runs in-process.
 */
import type { ChunkStore } from '../../store/chunk-store';
import type { StrategyParams } from '../chunk/strategy';
import type { Digest } from '../digest';
import { abortError } from '../errors';
import type { ImageRecord, LayerIndex, LayerSummary } from '../layer-index';
import type { ArchiveImage } from '../archive/types';
import { finishManifest } from './manifest';
import { imageKey } from './image-key';
import { ingestLayer } from './layer';
import type { IngestLayerOptions, IngestLayerResult, LayerProgress } from './layer';

/** Outcome of one layer's ingest, reported once its index is stored. */
export interface LayerOutcome {
  layerIndex: number;
  layerDigest: Digest;
  indexDigest: Digest;
  size: number;
  chunkCount: number;
  chunksNew: number;
  chunksDeduplicated: number;
  bytesNew: number;
  /** True when the store did not contain this layer index before. */
  indexNew: boolean;
}

export interface IngestImageOptions {
  strategy: StrategyParams;
  filesystem: boolean;
  store: ChunkStore;
  /** Ingests one layer and stores its index; defaults to `ingestLayer` in this thread. */
  runLayer?: (layerIndex: number, signal?: AbortSignal) => Promise<LayerOutcome>;
  /** Layers ingested at once; defaults to 1. */
  concurrency?: number;
  hashChunk?: IngestLayerOptions['hashChunk'];
  inflate?: IngestLayerOptions['inflate'];
  signal?: AbortSignal;
  onProgress?: (progress: LayerProgress) => void;
  /** Clock for the record's createdAt; tests pin it. */
  now?: () => number;
  /**
   * Monotonic clock in milliseconds, such as `performance.now`. When given,
   * the record stores in `seconds` how long the ingest took by it.
   */
  clock?: () => number;
}

export interface IngestImageResult {
  record: ImageRecord;
  layers: LayerOutcome[];
  chunksNew: number;
  chunksDeduplicated: number;
  bytesNew: number;
  /** Indexes the store did not hold before. */
  indexesNew: number;
}

/** Ingests every layer of `image`, then stores its record; returns what it did. */
export async function ingestImage(
  image: ArchiveImage,
  sourceName: string,
  options: IngestImageOptions,
): Promise<IngestImageResult> {
  const startedAt = options.clock?.();
  const runLayer = options.runLayer ?? ((i, signal) => runLayerHere(image, i, options, signal));
  const outcomes = await runPool(
    image.layers.map((_, i) => i),
    options.concurrency ?? 1,
    (i, signal) => runLayer(i, signal),
    options.signal,
  );

  const manifest = await finishManifest(
    image,
    outcomes.map((o) => o.size),
  );
  const layers: LayerSummary[] = image.layers.map((layer, i) => ({
    layerDigest: outcomes[i].layerDigest,
    diffID: layer.diffID,
    mediaType: layer.mediaType,
    compressedSize: layer.size,
    size: outcomes[i].size,
    chunkCount: outcomes[i].chunkCount,
    indexDigest: outcomes[i].indexDigest,
  }));
  const record: ImageRecord = {
    key: imageKey(manifest.digest, options.strategy, options.filesystem),
    manifestDigest: manifest.digest,
    manifestMediaType: manifest.mediaType,
    rawManifest: manifest.bytes,
    configDigest: image.configDigest,
    rawConfig: image.rawConfig,
    sourceName,
    repoTags: image.repoTags,
    platform: image.platform,
    strategy: options.strategy,
    filesystem: options.filesystem,
    layers,
    createdAt: (options.now ?? Date.now)(),
  };
  if (options.clock && startedAt !== undefined) {
    record.seconds = (options.clock() - startedAt) / 1000;
  }
  if (options.signal?.aborted) throw abortError();
  await options.store.putImage(record, { signal: options.signal });

  const sum = (pick: (o: LayerOutcome) => number) =>
    outcomes.reduce((total, o) => total + pick(o), 0);
  return {
    record,
    layers: outcomes,
    chunksNew: sum((o) => o.chunksNew),
    chunksDeduplicated: sum((o) => o.chunksDeduplicated),
    bytesNew: sum((o) => o.bytesNew),
    indexesNew: outcomes.filter((o) => o.indexNew).length,
  };
}

/** Ingests one layer in this thread and stores its index. */
export async function runLayerHere(
  image: ArchiveImage,
  layerIndex: number,
  options: Omit<IngestImageOptions, 'runLayer'>,
  signal?: AbortSignal,
): Promise<LayerOutcome> {
  const result = await ingestLayer(image.layers[layerIndex], {
    layerIndex,
    strategy: options.strategy,
    filesystem: options.filesystem,
    store: options.store,
    hashChunk: options.hashChunk,
    inflate: options.inflate,
    signal: signal ?? options.signal,
    onProgress: options.onProgress,
  });
  return storeLayerResult(options.store, layerIndex, result, signal);
}

/** Stores the index of an ingested layer and returns the layer's outcome. */
export async function storeLayerResult(
  store: ChunkStore,
  layerIndex: number,
  result: IngestLayerResult,
  signal?: AbortSignal,
): Promise<LayerOutcome> {
  const indexNew = await storeIndex(store, result.indexDigest, result.index, signal);
  return {
    layerIndex,
    layerDigest: result.layerDigest,
    indexDigest: result.indexDigest,
    size: result.index.size,
    chunkCount: result.index.chunks.length,
    chunksNew: result.chunksNew,
    chunksDeduplicated: result.chunksDeduplicated,
    bytesNew: result.bytesNew,
    indexNew,
  };
}

/**
 * Stores a layer index unless the store contains it already, as it does when
 * another image or an earlier ingest has the same layer and strategy.
 * Returns true when the index was new.
 */
export async function storeIndex(
  store: ChunkStore,
  indexDigest: Digest,
  index: LayerIndex,
  signal?: AbortSignal,
): Promise<boolean> {
  try {
    await store.getIndex(indexDigest, { signal });
    return false;
  } catch (error) {
    if ((error as { code?: unknown } | null)?.code !== 'NOT_FOUND') throw error;
  }
  await store.putIndex(indexDigest, index, { signal });
  return true;
}

/**
 * Runs `task` over `items`, at most `limit` at once, and returns the results in
 * item order. The first failure aborts the tasks still running, and the call
 * rejects with it only once every task has settled, so no task still writes
 * to the store when the caller collects garbage.
 */
export async function runPool<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T, signal: AbortSignal) => Promise<R>,
  signal?: AbortSignal,
): Promise<R[]> {
  const controller = new AbortController();
  const onAbort = () => controller.abort(signal?.reason);
  signal?.addEventListener('abort', onAbort, { once: true });
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      if (controller.signal.aborted) throw controller.signal.reason ?? abortError();
      const i = next++;
      results[i] = await task(items[i], controller.signal);
    }
  };
  let failure: { error: unknown } | undefined;
  try {
    const workers = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker);
    await Promise.all(
      workers.map((w) =>
        w.catch((error: unknown) => {
          failure ??= { error };
          controller.abort(error);
        }),
      ),
    );
    if (failure) throw failure.error;
    return results;
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}
