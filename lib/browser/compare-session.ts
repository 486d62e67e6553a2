/**
 * Strategy comparison in the browser: for each chosen image and strategy,
 * reuse the stored record of that strategy or build it by re-chunking the
 * image from the chunk store in the worker pool, then compare the chunk
 * lists. New records stay in the store, so a later comparison reuses them.
 */
import { sameStrategy } from '../core/chunk/params';
import type { StrategyParams } from '../core/chunk/strategy';
import { compareStrategies } from '../core/compare/compare';
import { comparedImageName, strategyRun } from '../core/compare/runs';
import type { Comparison, StrategyRun } from '../core/compare/types';
import type { Digest } from '../core/digest';
import { NotFoundError } from '../core/errors';
import { shortDigest } from '../core/format';
import { imageKey } from '../core/ingest/image-key';
import { reindexImage } from '../core/ingest/stored-layer';
import type { ImageRecord } from '../core/layer-index';
import type { Platform } from '../core/oci';
import type { IDBChunkStore } from '../store/idb-chunk-store';
import { withStoreLock } from '../store/store-lock';
import type { ImportWorkerPool } from '../worker/worker-client';

/** One stored image, by manifest, with every record the store has of it. */
export interface StoredImage {
  manifestDigest: Digest;
  /** Name in the comparison: the first tag, else the archive name; unique in the list. */
  name: string;
  sourceName: string;
  platform: Platform;
  /** Uncompressed bytes of all layers. */
  size: number;
  /** One record per strategy indexed so far, oldest first. */
  records: ImageRecord[];
}

/** State of one image and strategy pair of a comparison run. */
export type CompareTaskState = 'waiting' | 'running' | 'reused' | 'done';

export interface CompareTask {
  /** Position of the image in the images given to runComparison. */
  image: number;
  strategy: StrategyParams;
  state: CompareTaskState;
  /** Uncompressed bytes read so far and in all, over every layer. */
  bytesDone: number;
  bytesTotal: number;
  /** Seconds indexing took, once known; undefined for a record stored without a time. */
  seconds?: number;
}

export interface CompareOptions {
  filesystem: boolean;
  store: IDBChunkStore;
  pool: ImportWorkerPool;
  signal?: AbortSignal;
  /** Called whenever a task changes, with the task's position in strategy-major order. */
  onTask?: (position: number, task: CompareTask) => void;
}

/** Returns the stored images, one per manifest, oldest import first. */
export async function listStoredImages(store: IDBChunkStore): Promise<StoredImage[]> {
  const records = await store.listImages();
  records.sort((a, b) => a.createdAt - b.createdAt);
  const byManifest = new Map<Digest, ImageRecord[]>();
  for (const record of records) {
    const group = byManifest.get(record.manifestDigest) ?? [];
    group.push(record);
    byManifest.set(record.manifestDigest, group);
  }
  const images = [...byManifest.values()].map((group) => {
    const first = group[0];
    return {
      manifestDigest: first.manifestDigest,
      name: comparedImageName(first),
      sourceName: first.sourceName,
      platform: first.platform,
      size: first.layers.reduce((total, layer) => total + layer.size, 0),
      records: group,
    };
  });
  return uniqueNames(images);
}

/** Appends the short manifest digest to names that several images share. */
function uniqueNames(images: StoredImage[]): StoredImage[] {
  const counts = new Map<string, number>();
  for (const image of images) counts.set(image.name, (counts.get(image.name) ?? 0) + 1);
  return images.map((image) =>
    (counts.get(image.name) ?? 0) > 1
      ? { ...image, name: `${image.name} (${shortDigest(image.manifestDigest)})` }
      : image,
  );
}

/** Returns the tasks of a run in the order it works through them: strategy by strategy. */
export function planComparison(
  images: readonly StoredImage[],
  strategies: readonly StrategyParams[],
): CompareTask[] {
  return strategies.flatMap((strategy) =>
    images.map((image, i) => ({
      image: i,
      strategy,
      state: 'waiting' as const,
      bytesDone: 0,
      bytesTotal: image.size,
    })),
  );
}

/**
 * Compares `strategies` over `images`, indexing each pair that the store
 * lacks. A failed or cancelled run collects the chunks that no record
 * references; records finished before it stay.
 */
export async function runComparison(
  images: readonly StoredImage[],
  strategies: readonly StrategyParams[],
  options: CompareOptions,
): Promise<Comparison> {
  const tasks = planComparison(images, strategies);
  const runs: StrategyRun[] = [];
  try {
    for (const [position, task] of tasks.entries()) {
      options.signal?.throwIfAborted();
      const image = images[task.image];
      const record = await recordFor(image, task, position, options);
      const indexes = await Promise.all(
        record.layers.map((layer) => options.store.getIndex(layer.indexDigest)),
      );
      const run = strategyRun(record, indexes, record.seconds ?? 0);
      runs.push({ ...run, imageName: image.name });
    }
  } catch (error) {
    await options.store.collectGarbage().catch((gcError) => {
      console.error('collecting chunks after a failed comparison', gcError);
    });
    throw error;
  }
  return compareStrategies(runs);
}

/** Returns the stored record of the task's image and strategy, indexing it first if needed. */
async function recordFor(
  image: StoredImage,
  task: CompareTask,
  position: number,
  options: CompareOptions,
): Promise<ImageRecord> {
  const update = (patch: Partial<CompareTask>) => {
    Object.assign(task, patch);
    options.onTask?.(position, { ...task });
  };
  const key = imageKey(image.manifestDigest, task.strategy, options.filesystem);
  const stored = await findRecord(options.store, key);
  if (stored) {
    update({ state: 'reused', bytesDone: task.bytesTotal, seconds: stored.seconds });
    return stored;
  }
  update({ state: 'running' });
  const record = await reindexInPool(pickSource(image.records), task, options, update);
  update({ state: 'done', bytesDone: task.bytesTotal, seconds: record.seconds });
  return record;
}

async function findRecord(store: IDBChunkStore, key: string): Promise<ImageRecord | undefined> {
  try {
    return await store.getImage(key);
  } catch (error) {
    if (error instanceof NotFoundError) return undefined;
    throw error;
  }
}

/**
 * Returns the record to read layers from: the one with the fewest chunks,
 * since every record of a manifest replays the same bytes and fewer, larger
 * chunks take fewer IndexedDB reads.
 */
export function pickSource(records: readonly ImageRecord[]): ImageRecord {
  const chunks = (record: ImageRecord) =>
    record.layers.reduce((total, layer) => total + layer.chunkCount, 0);
  return records.reduce((best, record) => (chunks(record) < chunks(best) ? record : best));
}

async function reindexInPool(
  source: ImageRecord,
  task: CompareTask,
  options: CompareOptions,
  update: (patch: Partial<CompareTask>) => void,
): Promise<ImageRecord> {
  const { store, pool, signal, filesystem } = options;
  const layerBytes = new Map<number, number>();
  const onProgress = (layerIndex: number, bytesDone: number) => {
    layerBytes.set(layerIndex, bytesDone);
    let sum = 0;
    for (const bytes of layerBytes.values()) sum += bytes;
    update({ bytesDone: sum });
  };
  const result = await withStoreLock(
    'shared',
    () =>
      reindexImage(source, task.strategy, filesystem, store, {
        concurrency: pool.size,
        signal,
        clock: () => performance.now(),
        runLayer: (layerIndex, layerSignal) =>
          pool.reindex(
            {
              sourceIndexDigest: source.layers[layerIndex].indexDigest,
              layerIndex,
              strategy: task.strategy,
              filesystem,
              databaseName: store.name,
            },
            {
              signal: layerSignal,
              onProgress: (progress) => onProgress(layerIndex, progress.bytesDone),
            },
          ),
      }),
    { name: store.lockName, signal },
  );
  return result.record;
}

/** Returns true when `strategies` already contains `strategy`. */
export function hasStrategy(
  strategies: readonly StrategyParams[],
  strategy: StrategyParams,
): boolean {
  return strategies.some((known) => sameStrategy(known, strategy));
}
