/**
 * The chunk store: content-addressed chunk bytes plus the layer indexes and
 * image records that reference them. IndexedDB implements it in the browser
 * (also inside workers) and the filesystem in Node; one conformance suite runs
 * against both.
 *
 * An ingest holds `withStoreLock('shared', …)` (store-lock.ts) from its first
 * putMany until its putImage, because deleteImage and collectGarbage would
 * otherwise delete chunks it skipped as already stored.
 */
import type { Digest } from '../core/digest';
import type { ImageRecord, LayerIndex } from '../core/layer-index';

export interface StoreOptions {
  signal?: AbortSignal;
}

/** Sizes of what a store holds. */
export interface StoreStats {
  chunkCount: number;
  chunkBytes: number;
  indexCount: number;
  imageCount: number;
}

export interface ChunkStore {
  /** Returns true when the chunk is stored. */
  has(digest: Digest, options?: StoreOptions): Promise<boolean>;
  /** Returns the chunk's bytes; throws ChunkNotFoundError when it is missing. */
  get(digest: Digest, options?: StoreOptions): Promise<Uint8Array>;
  /**
   * Stores chunks that are not stored yet and returns, per chunk, true when it
   * was new. The caller guarantees that each digest is the SHA-256 of its bytes.
   */
  putMany(
    chunks: readonly { digest: Digest; bytes: Uint8Array }[],
    options?: StoreOptions,
  ): Promise<boolean[]>;

  /** Stores a layer index under its digest; storing the same index again is a no-op. */
  putIndex(indexDigest: Digest, index: LayerIndex, options?: StoreOptions): Promise<void>;
  /** Returns a layer index; throws NotFoundError when it is missing. */
  getIndex(indexDigest: Digest, options?: StoreOptions): Promise<LayerIndex>;

  /**
   * Stores an image record. Callers store every chunk and index first, so an
   * image appears only once everything it references is in place.
   */
  putImage(record: ImageRecord, options?: StoreOptions): Promise<void>;
  /** Returns an image record; throws NotFoundError when it is missing. */
  getImage(key: string, options?: StoreOptions): Promise<ImageRecord>;
  listImages(options?: StoreOptions): Promise<ImageRecord[]>;
  /**
   * Deletes an image record, then every index and chunk that no remaining
   * image references. Returns the number of chunks deleted; throws
   * NotFoundError when the image is missing.
   */
  deleteImage(key: string, options?: StoreOptions): Promise<number>;
  /**
   * Deletes every chunk and index that no image references, such as those a
   * failed ingest left. Returns the number of chunks deleted.
   */
  collectGarbage(options?: StoreOptions): Promise<number>;
  /** Deletes everything. */
  clear(options?: StoreOptions): Promise<void>;
  stats(options?: StoreOptions): Promise<StoreStats>;
  close(): Promise<void>;
}
