/** Ingest reports, in one shape for the page and the command line's JSON. */
import { fromUTF8 } from '../bytes';
import type { StrategyParams } from '../chunk/strategy';
import type { Digest, DiffID } from '../digest';
import type { IngestImageResult } from './image';

export interface LayerReport {
  index: number;
  digest: Digest;
  diffID: DiffID;
  mediaType: string;
  size: number;
  uncompressedSize: number;
  chunkCount: number;
  indexDigest: Digest;
}

export interface IngestReport {
  source: string;
  repoTags: string[];
  manifestDigest: Digest;
  manifestMediaType: string;
  schemaVersion: number | null;
  architecture: string;
  os: string;
  variant?: string;
  configDigest: Digest;
  configSize: number;
  strategy: StrategyParams;
  filesystem: boolean;
  layers: LayerReport[];
  chunksCreated: number;
  chunksDeduplicated: number;
  bytesStored: number;
  indexesCreated: number;
  /** Bytes of the layer blobs as stored in the archive. */
  bytesRead: number;
  seconds: number;
}

/** Builds the report of one ingested image. */
export function ingestReport(result: IngestImageResult, seconds: number): IngestReport {
  const { record } = result;
  let schemaVersion: number | null = null;
  try {
    const parsed = JSON.parse(fromUTF8(record.rawManifest)) as { schemaVersion?: unknown };
    if (typeof parsed.schemaVersion === 'number') schemaVersion = parsed.schemaVersion;
  } catch {
    // The manifest was validated on read; a record holding bad JSON reports no version.
  }
  const layers = record.layers.map((layer, index) => ({
    index,
    digest: layer.layerDigest,
    diffID: layer.diffID,
    mediaType: layer.mediaType,
    size: layer.compressedSize,
    uncompressedSize: layer.size,
    chunkCount: layer.chunkCount,
    indexDigest: layer.indexDigest,
  }));
  return {
    source: record.sourceName,
    repoTags: record.repoTags,
    manifestDigest: record.manifestDigest,
    manifestMediaType: record.manifestMediaType,
    schemaVersion,
    architecture: record.platform.architecture,
    os: record.platform.os,
    ...(record.platform.variant ? { variant: record.platform.variant } : {}),
    configDigest: record.configDigest,
    configSize: record.rawConfig.length,
    strategy: record.strategy,
    filesystem: record.filesystem,
    layers,
    chunksCreated: result.chunksNew,
    chunksDeduplicated: result.chunksDeduplicated,
    bytesStored: result.bytesNew,
    indexesCreated: result.indexesNew,
    bytesRead: layers.reduce((total, layer) => total + layer.size, 0),
    seconds,
  };
}

/** Returns the report as the lines the command line prints. */
export function formatReport(report: IngestReport, formatBytes: (n: number) => string): string[] {
  const lines = [
    report.repoTags.length > 0 ? `Image: ${report.repoTags[0]} (${report.source})` : `Image: ${report.source}`,
    `Manifest digest: ${report.manifestDigest}`,
    `Media type: ${report.manifestMediaType}`,
    `Schema version: ${report.schemaVersion ?? 'unknown'}`,
    `Platform: ${report.os}/${report.architecture}${report.variant ? `/${report.variant}` : ''}`,
    `Config: ${report.configDigest} (${report.configSize} bytes)`,
    `Layers: ${report.layers.length}`,
  ];
  for (const layer of report.layers) {
    lines.push(
      `  [${layer.index}] ${layer.digest}`,
      `      size ${layer.size} bytes (${formatBytes(layer.uncompressedSize)} uncompressed), ${layer.mediaType}`,
      `      chunks ${layer.chunkCount}, index ${layer.indexDigest}`,
    );
  }
  lines.push(
    `Chunks created: ${report.chunksCreated}`,
    `Chunks deduplicated: ${report.chunksDeduplicated}`,
    `Bytes stored: ${report.bytesStored}`,
    `Indexes created: ${report.indexesCreated}`,
    `Time: ${report.seconds.toFixed(3)} s (${(report.bytesRead / 1e6 / Math.max(report.seconds, 1e-9)).toFixed(1)} MB/s)`,
  );
  return lines;
}
