/**
 * Imports an image archive in the browser: reads the archive index on the
 * page, then ingests every layer in the worker pool and commits each image
 * record once all its layers are verified. A failed or cancelled import runs
 * garbage collection, so it leaves neither a half image nor orphaned chunks.
 */
import { openImageArchive } from '../core/archive/open';
import type { ArchiveImage, ImageArchive } from '../core/archive/types';
import type { StrategyParams } from '../core/chunk/strategy';
import { ingestImage } from '../core/ingest/image';
import type { IngestImageResult } from '../core/ingest/image';
import type { LayerProgress } from '../core/ingest/layer';
import { withStoreLock } from '../store/store-lock';
import type { IDBChunkStore } from '../store/idb-chunk-store';
import type { ImportWorkerPool } from '../worker/worker-client';
import { blobSource } from './blob-source';

export interface ImportOptions {
  strategy: StrategyParams;
  filesystem: boolean;
  store: IDBChunkStore;
  pool: ImportWorkerPool;
  /** Indexes into `archive.images` to import; defaults to every available one. */
  images?: number[];
  signal?: AbortSignal;
  onImageStart?: (imageIndex: number, image: ArchiveImage) => void;
  onProgress?: (imageIndex: number, progress: LayerProgress) => void;
}

/** One imported image with the time it took. */
export interface ImportedImage {
  imageIndex: number;
  result: IngestImageResult;
  seconds: number;
}

/** Opens an archive on the page and returns its image list. */
export async function readArchive(file: File): Promise<ImageArchive> {
  return openImageArchive(blobSource(file));
}

/** Imports the chosen images of `archive` from `file`. */
export async function importArchive(
  file: File,
  archive: ImageArchive,
  options: ImportOptions,
): Promise<ImportedImage[]> {
  const chosen =
    options.images ?? archive.images.flatMap((entry, i) => (entry.available ? [i] : []));
  const imported: ImportedImage[] = [];
  try {
    for (const imageIndex of chosen) {
      const image = await archive.loadImage(imageIndex);
      options.onImageStart?.(imageIndex, image);
      const started = performance.now();
      const result = await withStoreLock(
        'shared',
        () =>
          ingestImage(image, file.name, {
            strategy: options.strategy,
            filesystem: options.filesystem,
            store: options.store,
            concurrency: options.pool.size,
            signal: options.signal,
            clock: () => performance.now(),
            runLayer: (layerIndex, signal) =>
              options.pool.run(
                {
                  file,
                  fileName: file.name,
                  imageIndex,
                  layerIndex,
                  strategy: options.strategy,
                  filesystem: options.filesystem,
                  databaseName: options.store.name,
                },
                { signal, onProgress: (progress) => options.onProgress?.(imageIndex, progress) },
              ),
          }),
        { name: options.store.lockName, signal: options.signal },
      );
      imported.push({ imageIndex, result, seconds: (performance.now() - started) / 1000 });
    }
    return imported;
  } catch (error) {
    // Chunks and indexes of the failed image are referenced by no record; sweep them.
    await options.store.collectGarbage().catch((gcError) => {
      console.error('collecting chunks after a failed import', gcError);
    });
    throw error;
  }
}
