/**
 * Types of the image archive readers: the images an archive contains and, for
 * one image, its manifest, config and layers, each layer readable as a stream.
 */
import type { ByteSource } from '../bytes';
import type { Compression } from '../compression';
import type { DiffID, Digest } from '../digest';
import type { ImageConfig, Platform } from '../oci';

/**
 * Archive layouts: `docker save` output (manifest.json, with or without the
 * OCI layout that Docker 25+ adds) and an OCI image layout (index.json).
 */
export type ArchiveFormat = 'docker-save' | 'oci-layout';

/** An opened archive: its image list, read from small members only. */
export interface ImageArchive {
  format: ArchiveFormat;
  /** The archive's file name, from its ByteSource. */
  name: string;
  /** Every image and, for multi-platform images, every platform; attestations left out. */
  images: ArchiveImageEntry[];
  /**
   * Reads the manifest and config of `images[index]` and checks their
   * digests and sizes. Throws InvalidArchiveError for an image that is not
   * available or whose members are missing or malformed.
   */
  loadImage(index: number, options?: { signal?: AbortSignal }): Promise<ArchiveImage>;
}

/** One image (one platform of it, for a multi-platform image) in an archive's list. */
export interface ArchiveImageEntry {
  /** Display name: a repo tag, an image name annotation, or the digest. */
  name: string;
  repoTags: string[];
  /**
   * Position of the image in index.json or manifest.json. The platforms of
   * one multi-platform image share it.
   */
  group: number;
  platform?: Platform;
  manifestDigest?: Digest;
  /** False when blobs are missing, as for the other platforms Docker 25+ lists. */
  available: boolean;
  unavailableReason?: string;
}

/** One image, ready to read: manifest, config and layers, base layer first. */
export interface ArchiveImage {
  name: string;
  repoTags: string[];
  platform: Platform;
  /**
   * Digest of `rawManifest`. Absent only for a legacy `docker save` image
   * whose compressed layers must be read before the manifest can be built.
   */
  manifestDigest?: Digest;
  manifestMediaType: string;
  rawManifest?: Uint8Array;
  /** True when the archive stores no manifest and `rawManifest` is built by synthesizeManifest. */
  manifestSynthesized: boolean;
  configDigest: Digest;
  rawConfig: Uint8Array;
  config: ImageConfig;
  layers: ArchiveLayer[];
}

/** Options of `ArchiveLayer.open`. */
export interface OpenLayerOptions {
  signal?: AbortSignal;
  /** Read piece size in bytes; defaults to READ_PIECE_SIZE_BYTES (1 MiB). */
  pieceSize?: number;
  /**
   * Whether to hash the blob and compare it with `digest`; defaults to true.
   * A caller that hashes the stream itself may turn it off.
   */
  verifyDigest?: boolean;
}

/** One layer blob inside the archive. */
export interface ArchiveLayer {
  /** Position in the image's layer list, base layer first. */
  index: number;
  /** Archive member path the manifest names (before any symlink is followed). */
  member: string;
  /**
   * Digest of the blob as stored. Unknown for a compressed legacy
   * `docker save` layer until it is read; for an uncompressed one it equals
   * the diffID.
   */
  digest?: Digest;
  diffID: DiffID;
  /** Media type of the blob as stored; for legacy layers, derived from its first bytes. */
  mediaType: string;
  /** Size of the blob as stored, in bytes. */
  size: number;
  compression: Compression;
  annotations?: Record<string, string>;
  /**
   * Streams the blob as stored. Throws SizeMismatchError when the member and
   * the expected size differ (before reading) or fewer bytes arrive, and
   * DigestMismatchError at the end when the content does not match `digest`.
   */
  open(options?: OpenLayerOptions): AsyncIterable<Uint8Array>;
  /**
   * Returns random access to the blob as stored, such as the byte range of
   * its archive member. Absent where the blob is not kept, as for layers
   * rebuilt from the chunk store. Reads are not checked against `digest`.
   */
  blobSource?(): ByteSource;
}

/** An image list entry with the function that loads it; what each format reader returns. */
export interface ImageSlot {
  entry: ArchiveImageEntry;
  load(options?: { signal?: AbortSignal }): Promise<ArchiveImage>;
}
