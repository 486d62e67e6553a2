/**
 * eStargz in the browser: builds every layer of a stored image from its
 * stored chunks in the worker pool, then stores the record with the
 * converted image, as `chunk --stargz` does in Node. Also verifies, reads
 * the TOC of and streams the built blobs from the store.
 *
 * A failed or cancelled build collects garbage, so the blob chunks it stored
 * go and the record keeps its previous build, if it had one.
 */
import { readBlob } from '../core/convert/blob-chunks';
import { bundleStream, imageFileStem } from '../core/convert/bundle';
import { convertedImage } from '../core/convert/estargz';
import { DigestMismatchError, SizeMismatchError, abortError } from '../core/errors';
import type { BuildProgress } from '../core/estargz/build';
import { openEStargz } from '../core/estargz/reader';
import type { EStargzInfo } from '../core/estargz/reader';
import { verifyEStargz } from '../core/estargz/verify';
import type { VerifyResult } from '../core/estargz/verify';
import { runPool } from '../core/ingest/image';
import type { EStargzLayer, EStargzOptions, ImageRecord } from '../core/layer-index';
import { createHasher } from '../core/sha256';
import type { ChunkStore } from '../store/chunk-store';
import { withStoreLock } from '../store/store-lock';
import type { ConvertedLayer } from '../worker/protocol';
import { storedBlobSource } from './stored-blob-source';

/** Builds one layer with the session's options and stores its blob, as `ImportWorkerPool.convert` does. */
export type ConvertLayer = (
  layerIndex: number,
  signal: AbortSignal,
  onProgress: (progress: BuildProgress) => void,
) => Promise<ConvertedLayer>;

export interface BuildEStargzOptions {
  /** Options every layer is built with, defaults filled in (`estargzOptions`). */
  settings: EStargzOptions;
  store: ChunkStore & { lockName?: string };
  convertLayer: ConvertLayer;
  /** Layers built at once, such as the worker pool's size; default 1. */
  concurrency?: number;
  signal?: AbortSignal;
  onLayerStart?: (layerIndex: number) => void;
  onProgress?: (layerIndex: number, progress: BuildProgress) => void;
  onLayerDone?: (layerIndex: number, layer: ConvertedLayer) => void;
}

/** A finished build: the stored record and the prioritized files that no layer has. */
export interface BuiltImage {
  record: ImageRecord;
  missedPrioritizedFiles: string[];
}

/**
 * Builds the eStargz image of `record` and stores the record with it. The
 * record must be the one the store holds, since workers read it by key.
 */
export async function buildEStargz(
  record: ImageRecord,
  options: BuildEStargzOptions,
): Promise<BuiltImage> {
  const { store, signal } = options;
  const started = performance.now();
  let built: BuiltImage;
  try {
    built = await withStoreLock(
      'shared',
      async () => {
        const layers = await runPool(
          record.layers.map((_, i) => i),
          options.concurrency ?? 1,
          (layerIndex, layerSignal) => buildOne(layerIndex, layerSignal, options),
          signal,
        );
        return storeBuild(record, layers, options, (performance.now() - started) / 1000);
      },
      { name: store.lockName, signal },
    );
  } catch (error) {
    await sweep(store, 'after a failed eStargz build');
    throw error;
  }
  // The previous build's blobs are referenced by no record now.
  if (record.estargz !== undefined) await sweep(store, 'after replacing an eStargz build');
  return built;
}

async function buildOne(
  layerIndex: number,
  signal: AbortSignal,
  options: BuildEStargzOptions,
): Promise<ConvertedLayer> {
  options.onLayerStart?.(layerIndex);
  const layer = await options.convertLayer(layerIndex, signal, (progress) =>
    options.onProgress?.(layerIndex, progress),
  );
  options.onLayerDone?.(layerIndex, layer);
  return layer;
}

async function storeBuild(
  record: ImageRecord,
  layers: ConvertedLayer[],
  options: BuildEStargzOptions,
  seconds: number,
): Promise<BuiltImage> {
  const stored = layers.map(({ missedPrioritizedFiles: _missed, ...layer }) => layer);
  const converted = await convertedImage(record, stored, options.settings, seconds);
  if (options.signal?.aborted) throw abortError();
  const next: ImageRecord = { ...record, estargz: converted };
  await options.store.putImage(next, { signal: options.signal });
  return { record: next, missedPrioritizedFiles: missedEverywhere(layers) };
}

/** Returns the prioritized files that every layer lacks, in the order the first layer reported them. */
function missedEverywhere(layers: readonly ConvertedLayer[]): string[] {
  if (layers.length === 0) return [];
  return layers[0].missedPrioritizedFiles.filter((file) =>
    layers.every((layer) => layer.missedPrioritizedFiles.includes(file)),
  );
}

async function sweep(store: ChunkStore, occasion: string): Promise<void> {
  await store.collectGarbage().catch((error: unknown) => {
    console.error(`collecting chunks ${occasion}`, error);
  });
}

/** Name of a built layer in messages and in the store's errors. */
function layerName(layer: EStargzLayer): string {
  return `eStargz layer ${layer.digest}`;
}

/** Reads the footer and TOC of a built layer from its stored chunks. */
export function readStoredTOC(
  layer: EStargzLayer,
  store: ChunkStore,
  signal?: AbortSignal,
): Promise<EStargzInfo> {
  return openEStargz(storedBlobSource(layer.chunks, store, { name: layerName(layer), signal }), {
    signal,
  });
}

/**
 * Verifies a built layer from its stored chunks: the blob's size and digest,
 * then, with `verifyEStargz`, the TOC digest and every chunk and file
 * digest. Throws SizeMismatchError or DigestMismatchError naming the layer.
 */
export async function verifyStoredLayer(
  layer: EStargzLayer,
  store: ChunkStore,
  signal?: AbortSignal,
): Promise<VerifyResult> {
  const name = layerName(layer);
  const hasher = await createHasher();
  let size = 0;
  for await (const piece of readBlob(layer.chunks, store, { signal, name })) {
    hasher.update(piece);
    size += piece.length;
  }
  if (size !== layer.size) throw new SizeMismatchError(`verifying ${name}`, layer.size, size);
  const digest = hasher.digest();
  if (digest !== layer.digest) throw new DigestMismatchError(`verifying ${name}`, layer.digest, digest);
  const source = storedBlobSource(layer.chunks, store, { name, signal });
  return verifyEStargz(source, { tocDigest: layer.tocDigest, signal });
}

/** A download: its file name, size and a function that streams its bytes from the store. */
export interface StoredDownload {
  fileName: string;
  size?: number;
  open(signal?: AbortSignal): AsyncIterable<Uint8Array>;
}

/** Returns the download of built layer `layerIndex`: `IMAGE-layer-N.stargz`. */
export function layerDownload(record: ImageRecord, layerIndex: number, store: ChunkStore): StoredDownload {
  const layer = record.estargz?.layers[layerIndex];
  if (!layer) throw new RangeError(`layerDownload: image ${record.key} has no eStargz layer ${layerIndex}`);
  return {
    fileName: `${imageFileStem(record)}-layer-${layerIndex}.stargz`,
    size: layer.size,
    open: (signal) => readBlob(layer.chunks, store, { signal, name: layerName(layer) }),
  };
}

/** Returns the download of the bundle, an OCI image layout tar: `IMAGE.oci.tar`. */
export function bundleDownload(record: ImageRecord, store: ChunkStore): StoredDownload {
  return {
    fileName: `${imageFileStem(record)}.oci.tar`,
    open: (signal) => bundleStream(record, store, { signal }),
  };
}
