/** Layer indexes and image records: what the chunk store keeps besides chunks. */
import type { Digest, DiffID } from './digest';
import type { StrategyParams } from './chunk/strategy';
import type { TOCEntry } from './estargz/types';
import type { TarEntry } from './tar/entry';

/** A byte range of a layer's uncompressed stream, named by its SHA-256. */
export interface Chunk {
  digest: Digest;
  offset: number;
  size: number;
}

/** Version of the layer index layout; bump it when fields change meaning. */
export const LAYER_INDEX_SCHEMA = 1;

/**
 * For one layer and one strategy: the ordered chunk list that covers the whole
 * uncompressed stream and, when filesystem-aware, every tar entry.
 */
export interface LayerIndex {
  schema: typeof LAYER_INDEX_SCHEMA;
  /** Digest of the layer blob as stored in the archive. */
  layerDigest: Digest;
  diffID: DiffID;
  mediaType: string;
  /** Size of the layer blob as stored. */
  compressedSize: number;
  /** Size of the uncompressed tar stream. */
  size: number;
  strategy: StrategyParams;
  filesystem: boolean;
  chunks: Chunk[];
  /** Tar entries in stream order; present when `filesystem` is true. */
  entries?: TarEntry[];
  /** TOC of the layer blob as stored, when that blob was already eStargz. */
  sourceTOC?: SourceTOC;
}

/**
 * The TOC of a source layer that was already eStargz, read from the blob at
 * import, since the blob itself is not kept.
 */
export interface SourceTOC {
  /** SHA-256 of the TOC JSON found in the blob. */
  tocDigest: Digest;
  /** Digest that the manifest's `containerd.io/snapshot/stargz/toc.digest` annotation names, if any. */
  annotatedTOCDigest?: Digest;
  /** True for the 47-byte footer of the legacy stargz format. */
  legacy: boolean;
  /** Offset of the TOC's gzip member in the blob. */
  tocOffset: number;
  /** Content chunks: regular files with content plus `chunk` entries. */
  chunkCount: number;
  entries: TOCEntry[];
}

/** Summary of one layer inside an image record. */
export interface LayerSummary {
  layerDigest: Digest;
  diffID: DiffID;
  mediaType: string;
  compressedSize: number;
  size: number;
  chunkCount: number;
  /** Digest of the layer index, as `indexDigest(index)` computes it. */
  indexDigest: Digest;
}

/** One stored image: raw manifest and config, where it came from, its layer indexes. */
export interface ImageRecord {
  /** Key of the record: manifest digest plus the strategy, as `imageKey` builds it. */
  key: string;
  manifestDigest: Digest;
  manifestMediaType: string;
  rawManifest: Uint8Array;
  configDigest: Digest;
  rawConfig: Uint8Array;
  /** Archive file name and, for multi-image archives, the tag or name inside it. */
  sourceName: string;
  repoTags: string[];
  platform: { os: string; architecture: string; variant?: string };
  strategy: StrategyParams;
  filesystem: boolean;
  layers: LayerSummary[];
  /** Milliseconds since the epoch. */
  createdAt: number;
  /** Wall-clock seconds that indexing took, when the ingest measured it. */
  seconds?: number;
  /** The image converted to eStargz, once it has been built. */
  estargz?: EStargzImage;
}

/** One eStargz layer of a converted image. */
export interface EStargzLayer {
  digest: Digest;
  diffID: DiffID;
  size: number;
  uncompressedSize: number;
  tocDigest: Digest;
  /**
   * The blob's bytes as stored (compressed), kept in the chunk store as
   * fixed-size chunks in blob order.
   */
  chunks: Chunk[];
}

/** Options of an eStargz build, with their defaults filled in. */
export interface EStargzOptions {
  /** Largest chunk of a file's content per gzip member, in bytes. */
  chunkSize: number;
  /** Deflate level, 0 to 9. */
  level: number;
  prioritizedFiles: string[];
}

/** An image converted to eStargz: new manifest, new config, one blob per layer. */
export interface EStargzImage {
  options: EStargzOptions;
  manifestDigest: Digest;
  manifestMediaType: string;
  rawManifest: Uint8Array;
  configDigest: Digest;
  rawConfig: Uint8Array;
  layers: EStargzLayer[];
  /** Wall-clock seconds the build took. */
  seconds: number;
}
