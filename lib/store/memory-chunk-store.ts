/**
 * A chunk store in Maps, for tests and short-lived tools. Values are copied
 * in and out, as IndexedDB's structured clone does, so a caller that reuses
 * its buffers cannot change what the store holds.
 */
import { parseDigest, type Digest } from '../core/digest';
import { ChunkNotFoundError } from '../core/errors';
import type { ImageRecord, LayerIndex } from '../core/layer-index';
import type { Logger } from '../core/log';
import type { ChunkStore, StoreOptions, StoreStats } from './chunk-store';
import { findReferences } from './references';
import { STORE_LOCK_NAME, withStoreLock } from './store-lock';
import {
  checkImageKey,
  compareByKey,
  firstOccurrences,
  imageNotFound,
  indexNotFound,
  throwIfAborted,
} from './store-util';

/** The Maps behind a MemoryChunkStore; pass them to a new store to reopen it. */
export interface MemoryStoreData {
  chunks: Map<string, Uint8Array>;
  indexes: Map<string, LayerIndex>;
  images: Map<string, ImageRecord>;
}

export interface MemoryChunkStoreOptions {
  /** Existing contents to open; a new empty set of Maps by default. */
  data?: MemoryStoreData;
  /** Name of the store lock that deleteImage, collectGarbage and clear take. */
  lockName?: string;
  log?: Logger;
}

/** Returns an empty set of Maps for a MemoryChunkStore. */
export function createMemoryStoreData(): MemoryStoreData {
  return { chunks: new Map(), indexes: new Map(), images: new Map() };
}

/** A ChunkStore whose contents live in Maps and last as long as they do. */
export class MemoryChunkStore implements ChunkStore {
  readonly data: MemoryStoreData;
  readonly lockName: string;
  private readonly log: Logger | undefined;

  constructor(options: MemoryChunkStoreOptions = {}) {
    this.data = options.data ?? createMemoryStoreData();
    this.lockName = options.lockName ?? STORE_LOCK_NAME;
    this.log = options.log;
  }

  async has(digest: Digest, options: StoreOptions = {}): Promise<boolean> {
    throwIfAborted(options.signal);
    return this.data.chunks.has(parseDigest(digest, 'has'));
  }

  async get(digest: Digest, options: StoreOptions = {}): Promise<Uint8Array> {
    throwIfAborted(options.signal);
    const bytes = this.data.chunks.get(parseDigest(digest, 'get'));
    if (!bytes) throw new ChunkNotFoundError(digest);
    return bytes.slice();
  }

  async putMany(
    chunks: readonly { digest: Digest; bytes: Uint8Array }[],
    options: StoreOptions = {},
  ): Promise<boolean[]> {
    throwIfAborted(options.signal);
    const digests = chunks.map((chunk, i) =>
      parseDigest(chunk.digest, `putMany: chunk ${i}`),
    );
    const first = firstOccurrences(digests);
    return chunks.map((chunk, i) => {
      if (!first[i] || this.data.chunks.has(digests[i])) return false;
      this.data.chunks.set(digests[i], chunk.bytes.slice());
      return true;
    });
  }

  async putIndex(
    indexDigest: Digest,
    index: LayerIndex,
    options: StoreOptions = {},
  ): Promise<void> {
    throwIfAborted(options.signal);
    const key = parseDigest(indexDigest, 'putIndex');
    if (this.data.indexes.has(key)) return;
    this.data.indexes.set(key, structuredClone(index));
  }

  async getIndex(
    indexDigest: Digest,
    options: StoreOptions = {},
  ): Promise<LayerIndex> {
    throwIfAborted(options.signal);
    const index = this.data.indexes.get(parseDigest(indexDigest, 'getIndex'));
    if (!index) throw indexNotFound(indexDigest);
    return structuredClone(index);
  }

  async putImage(record: ImageRecord, options: StoreOptions = {}): Promise<void> {
    throwIfAborted(options.signal);
    const key = checkImageKey(record.key, 'putImage');
    this.data.images.set(key, structuredClone(record));
  }

  async getImage(key: string, options: StoreOptions = {}): Promise<ImageRecord> {
    throwIfAborted(options.signal);
    const record = this.data.images.get(checkImageKey(key, 'getImage'));
    if (!record) throw imageNotFound(key);
    return structuredClone(record);
  }

  async listImages(options: StoreOptions = {}): Promise<ImageRecord[]> {
    throwIfAborted(options.signal);
    const records = [...this.data.images.values()].sort(compareByKey);
    return records.map((record) => structuredClone(record));
  }

  async deleteImage(key: string, options: StoreOptions = {}): Promise<number> {
    checkImageKey(key, 'deleteImage');
    return this.exclusive(options.signal, async () => {
      if (!this.data.images.delete(key)) throw imageNotFound(key);
      return this.sweep(options.signal);
    });
  }

  async collectGarbage(options: StoreOptions = {}): Promise<number> {
    return this.exclusive(options.signal, () => this.sweep(options.signal));
  }

  async clear(options: StoreOptions = {}): Promise<void> {
    await this.exclusive(options.signal, async () => {
      this.data.chunks.clear();
      this.data.indexes.clear();
      this.data.images.clear();
    });
  }

  async stats(options: StoreOptions = {}): Promise<StoreStats> {
    throwIfAborted(options.signal);
    let chunkBytes = 0;
    for (const bytes of this.data.chunks.values()) chunkBytes += bytes.length;
    return {
      chunkCount: this.data.chunks.size,
      chunkBytes,
      indexCount: this.data.indexes.size,
      imageCount: this.data.images.size,
    };
  }

  async close(): Promise<void> {}

  private exclusive<T>(
    signal: AbortSignal | undefined,
    fn: () => Promise<T>,
  ): Promise<T> {
    return withStoreLock('exclusive', fn, { name: this.lockName, signal });
  }

  /** Deletes every index and chunk that no image references. */
  private async sweep(signal: AbortSignal | undefined): Promise<number> {
    const images = [...this.data.images.values()];
    const references = await findReferences(
      images,
      async (indexDigest) => this.data.indexes.get(indexDigest),
      { signal, log: this.log },
    );
    for (const indexDigest of this.data.indexes.keys()) {
      if (!references.indexes.has(indexDigest)) {
        this.data.indexes.delete(indexDigest);
      }
    }
    let deleted = 0;
    for (const digest of this.data.chunks.keys()) {
      if (references.chunks.has(digest)) continue;
      this.data.chunks.delete(digest);
      deleted += 1;
    }
    return deleted;
  }
}
