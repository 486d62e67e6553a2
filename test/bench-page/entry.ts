/**
 * Browser side of the benchmark (scripts/bench): the limits of each ingest
 * stage on one thread, and the end-to-end import through the worker pool.
 * The bench bundles this file with test/helpers/browser-bundle.ts and calls
 * its exports with page.evaluate. Bytes are counted in MB of 10^6 bytes.
 */
import { openImageArchive } from '../../lib/core/archive/open';
import type { ArchiveImage } from '../../lib/core/archive/types';
import { defaultStrategy } from '../../lib/core/chunk/params';
import type { StrategyName } from '../../lib/core/chunk/strategy';
import { decompress } from '../../lib/core/compression';
import { blobSource } from '../../lib/browser/blob-source';
import { importArchive, readArchive } from '../../lib/browser/import-session';
import { platformGunzip } from '../../lib/browser/platform-inflate';
import { webCryptoSHA256 } from '../../lib/browser/webcrypto-hash';
import { IDBChunkStore, deleteChunkStoreDatabase } from '../../lib/store/idb-chunk-store';
import { ImportWorkerPool } from '../../lib/worker/worker-client';
import {
  drain,
  measureStages,
  readAndHashBlob,
  stage,
  stageFigures,
  type StageFigure,
  type StageFigures,
} from '../../scripts/bench/stages';

/** Returns file `index` of the page's file input. */
export function pickedFile(index = 0): File {
  const input = document.querySelector<HTMLInputElement>('input[type=file]');
  const file = input?.files?.[index];
  if (!file) throw new Error(`bench page: no file ${index} chosen`);
  return file;
}

/** Adds the file input that the bench fills with setInputFiles. */
export function addFileInput(): void {
  if (document.querySelector('input[type=file]')) return;
  const input = document.createElement('input');
  input.type = 'file';
  input.multiple = true;
  document.body.append(input);
}

/**
 * Points the pool's `new Worker(new URL('./import.worker.ts', import.meta.url))`
 * at the worker bundle: esbuild leaves that URL as it is, and the bundle
 * server serves only bundles.
 */
export function routeImportWorker(scriptURL: string): void {
  const Native = globalThis.Worker;
  class RoutedWorker extends Native {
    constructor(url: string | URL, options?: WorkerOptions) {
      const path = new URL(String(url), location.href).pathname;
      super(path.endsWith('/import.worker.ts') ? scriptURL : url, options);
    }
  }
  globalThis.Worker = RoutedWorker;
}

async function firstImage(file: File): Promise<ArchiveImage> {
  const archive = await openImageArchive(blobSource(file));
  const index = archive.images.findIndex((entry) => entry.available);
  return archive.loadImage(index);
}

export interface LimitFigures extends StageFigures {
  layers: { digest: string; compressedBytes: number; uncompressedBytes: number }[];
  /** Blob.slice reads of the compressed layers. */
  read: StageFigure;
  /** hash-wasm SHA-256 of the compressed bytes (the blob digest check). */
  blobDigest: StageFigure;
  inflateDecompressionStream: StageFigure;
  inflateFflate: StageFigure;
}

/**
 * Measures each ingest stage alone on this thread over every layer of the
 * first image of the chosen file. The stages after inflate read the output
 * of DecompressionStream; the chunk hash is WebCrypto, as in the import
 * worker, and the store an empty IDBChunkStore.
 */
export async function measureLimits(databaseName: string): Promise<LimitFigures> {
  const image = await firstImage(pickedFile());
  const figures: LimitFigures = {
    ...stageFigures(),
    layers: [],
    read: stage(),
    blobDigest: stage(),
    inflateDecompressionStream: stage(),
    inflateFflate: stage(),
  };
  await deleteChunkStoreDatabase(databaseName);
  const store = await IDBChunkStore.open({ name: databaseName });
  try {
    for (const layer of image.layers) {
      const inflate = (pieces: AsyncIterable<Uint8Array>) =>
        layer.compression === 'gzip' ? platformGunzip(pieces) : decompress(pieces, layer.compression);
      const open = () => layer.open({ verifyDigest: false });
      await readAndHashBlob(layer, figures.read, figures.blobDigest);
      const size = await drain(figures.inflateDecompressionStream, inflate(open()));
      await drain(figures.inflateFflate, decompress(open(), layer.compression));
      figures.layers.push({ digest: layer.digest ?? '', compressedBytes: layer.size, uncompressedBytes: size });
      await measureStages(inflate(open()), { hashChunk: webCryptoSHA256, store }, figures);
    }
  } finally {
    await store.close();
    await deleteChunkStoreDatabase(databaseName);
  }
  return figures;
}

export interface IngestFigures {
  seconds: number;
  uncompressedBytes: number;
  compressedBytes: number;
  layers: number;
  chunksNew: number;
  chunksDeduplicated: number;
  bytesNew: number;
  recordKey: string;
}

export interface IngestRequest {
  databaseName: string;
  strategy: StrategyName;
  workers: number;
  /** Index of the chosen file to import; 0 by default. */
  fileIndex?: number;
  /** Deletes the database first; true by default. */
  fresh?: boolean;
}

/** Imports the first image of a chosen file through the real worker path and times it. */
export async function ingest(request: IngestRequest): Promise<IngestFigures> {
  const file = pickedFile(request.fileIndex);
  if (request.fresh !== false) await deleteChunkStoreDatabase(request.databaseName);
  const store = await IDBChunkStore.open({ name: request.databaseName });
  const pool = new ImportWorkerPool(request.workers);
  try {
    const started = performance.now();
    const archive = await readArchive(file);
    const first = archive.images.findIndex((entry) => entry.available);
    const [imported] = await importArchive(file, archive, {
      strategy: defaultStrategy(request.strategy),
      filesystem: true,
      store,
      pool,
      images: [first],
    });
    const seconds = (performance.now() - started) / 1000;
    const { result } = imported;
    return {
      seconds,
      uncompressedBytes: result.layers.reduce((sum, layer) => sum + layer.size, 0),
      compressedBytes: result.record.layers.reduce((sum, layer) => sum + layer.compressedSize, 0),
      layers: result.layers.length,
      chunksNew: result.chunksNew,
      chunksDeduplicated: result.chunksDeduplicated,
      bytesNew: result.bytesNew,
      recordKey: result.record.key,
    };
  } finally {
    pool.terminate();
    await store.close();
  }
}

/** Deletes a database the bench made. */
export async function dropDatabase(name: string): Promise<void> {
  await deleteChunkStoreDatabase(name);
}

/** JS heap of this page, from performance.memory (precise with --enable-precise-memory-info). */
export function pageHeap(): number {
  const memory = (performance as Performance & { memory?: { usedJSHeapSize: number } }).memory;
  return memory?.usedJSHeapSize ?? 0;
}
