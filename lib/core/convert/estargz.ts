/**
 * eStargz conversion of a stored image: each layer is rebuilt from its stored
 * chunks, without the archive, and the blob goes back into the store, so the
 * bundle and the push read it from there.
 */
import type { ChunkStore } from '../../store/chunk-store';
import { fromUTF8 } from '../bytes';
import type { Digest } from '../digest';
import { buildLayer } from '../estargz/build';
import type { BuildProgress } from '../estargz/build';
import type { CompressionLevel } from '../estargz/gzip-member';
import { buildEStargzManifest, convertImageConfig } from '../estargz/image';
import { DEFAULT_CHUNK_SIZE_4MIB } from '../estargz/types';
import { InvalidInputError } from '../errors';
import { storedLayer } from '../ingest/stored-layer';
import type { EStargzImage, EStargzLayer, EStargzOptions, ImageRecord } from '../layer-index';
import { sha256 } from '../sha256';
import { parseTarStream } from '../tar/reader';
import { storeBlob } from './blob-chunks';

/** Options of a conversion; chunk size 4 MiB and level 9 by default, as the estargz library. */
export interface ConvertOptions {
  chunkSize?: number;
  level?: number;
  prioritizedFiles?: string[];
  signal?: AbortSignal;
  hashChunk?: (bytes: Uint8Array) => Promise<Digest>;
  onProgress?: (layerIndex: number, progress: BuildProgress) => void;
}

/** Returns the options with their defaults filled in, checked. */
export function estargzOptions(options: ConvertOptions): EStargzOptions {
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE_4MIB;
  const level = options.level ?? 9;
  if (!Number.isSafeInteger(chunkSize) || chunkSize < 1) {
    throw new InvalidInputError(`eStargz chunk size must be a positive number of bytes, got ${chunkSize}`);
  }
  if (!Number.isInteger(level) || level < 0 || level > 9) {
    throw new InvalidInputError(`gzip level must be 0 to 9, got ${level}`);
  }
  return { chunkSize, level, prioritizedFiles: options.prioritizedFiles ?? [] };
}

/** Builds the eStargz blob of one stored layer and stores it; returns its description. */
export async function convertStoredLayer(
  record: ImageRecord,
  layerIndex: number,
  store: ChunkStore,
  options: ConvertOptions = {},
): Promise<EStargzLayer & { missedPrioritizedFiles: string[] }> {
  const settings = estargzOptions(options);
  const summary = record.layers[layerIndex];
  if (!summary) throw new InvalidInputError(`converting layer ${layerIndex}: the image has ${record.layers.length} layers`);
  const index = await store.getIndex(summary.indexDigest, { signal: options.signal });
  const name = `layer ${layerIndex} (${summary.layerDigest})`;
  const layer = storedLayer(index, store, layerIndex);
  const events = () => parseTarStream(layer.open({ signal: options.signal }), { name, signal: options.signal });
  const build = buildLayer(settings.prioritizedFiles.length > 0 ? events : events(), {
    chunkSize: settings.chunkSize,
    level: settings.level as CompressionLevel,
    prioritizedFiles: settings.prioritizedFiles,
    // One list applies to every layer, so a layer may lack some of its files.
    allowMissingPrioritized: true,
    name,
    signal: options.signal,
    onProgress: (progress) => options.onProgress?.(layerIndex, progress),
  });
  const chunks = await storeBlob(build.stream, store, { signal: options.signal, hashChunk: options.hashChunk });
  const result = await build.result;
  return {
    digest: result.digest,
    diffID: result.diffID,
    size: result.size,
    uncompressedSize: result.uncompressedSize,
    tocDigest: result.tocDigest,
    chunks,
    missedPrioritizedFiles: result.missedPrioritizedFiles,
  };
}

/** Builds the converted image's config and manifest around its eStargz layers. */
export async function convertedImage(
  record: ImageRecord,
  layers: readonly EStargzLayer[],
  options: EStargzOptions,
  seconds: number,
): Promise<EStargzImage> {
  const rawConfig = convertImageConfig(record.rawConfig, layers.map((layer) => layer.diffID));
  const configDigest = await sha256(rawConfig);
  const manifest = await buildEStargzManifest({
    config: { digest: configDigest, size: rawConfig.length },
    layers: layers.map((layer, i) => ({
      digest: layer.digest,
      size: layer.size,
      tocDigest: layer.tocDigest,
      uncompressedSize: layer.uncompressedSize,
      annotations: sourceLayerAnnotations(record, i),
    })),
    annotations: sourceManifestAnnotations(record),
  });
  return {
    options,
    manifestDigest: manifest.digest,
    manifestMediaType: manifest.mediaType,
    rawManifest: manifest.rawManifest,
    configDigest,
    rawConfig,
    layers: layers.map(({ digest, diffID, size, uncompressedSize, tocDigest, chunks }) => ({
      digest, diffID, size, uncompressedSize, tocDigest, chunks,
    })),
    seconds,
  };
}

interface ManifestJSON {
  annotations?: Record<string, string>;
  layers?: { annotations?: Record<string, string> }[];
}

function parsedManifest(record: ImageRecord): ManifestJSON {
  try {
    return JSON.parse(fromUTF8(record.rawManifest)) as ManifestJSON;
  } catch {
    return {};
  }
}

function sourceManifestAnnotations(record: ImageRecord): Record<string, string> | undefined {
  return parsedManifest(record).annotations;
}

function sourceLayerAnnotations(record: ImageRecord, layerIndex: number): Record<string, string> | undefined {
  return parsedManifest(record).layers?.[layerIndex]?.annotations;
}
