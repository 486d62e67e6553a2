/**
 * A chunk store in a folder, for Node. Layout under the root:
 *
 *   chunks/<sha256 hex>        one file per chunk, its raw bytes
 *   indexes/<sha256 hex>.json  layer indexes, keyed by index digest
 *   images/<encoded key>.json  image records, raw manifest and config in base64
 *   tmp/                       files being written
 *
 * Every file is written to tmp/ first and then gets its final name, so a
 * crash never leaves a partial file under a final name. Files in these
 * folders whose names do not fit the layout are never read or deleted.
 *
 * Limits: the store lock is in-process (see store-lock.ts), so a sweep in one
 * process does not wait for an ingest in another process on the same root.
 */
import { mkdir, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { digestHex, parseDigest, type Digest } from '../core/digest';
import { ChunkNotFoundError, InvalidInputError } from '../core/errors';
import type { ImageRecord, LayerIndex } from '../core/layer-index';
import type { Logger } from '../core/log';
import type { ChunkStore, StoreOptions, StoreStats } from './chunk-store';
import {
  createFileAtomic,
  decodeImageRecord,
  encodeImageRecord,
  errorCode,
  exists,
  imageFileName,
  listFolder,
  mapLimit,
  replaceFileAtomic,
  unlinkIfPresent,
  type WriteOptions,
} from './fs-files';
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

/** Root folder used when none is given, relative to the working directory. */
export const DEFAULT_STORE_ROOT = 'data/registry-data';

/** File operations in flight at once within one call. */
const FILE_CONCURRENCY = 16;
/** Age after which collectGarbage deletes a temporary file: one hour. */
const STALE_TEMP_AGE_MS = 60 * 60 * 1000;

const CHUNK_NAME = /^[0-9a-f]{64}$/;
const INDEX_NAME = /^[0-9a-f]{64}\.json$/;
const IMAGE_NAME = /\.json$/;
const TEMP_NAME = /\.tmp$/;
const FOLDERS = ['chunks', 'indexes', 'images', 'tmp'] as const;

export interface FsChunkStoreOptions {
  /** Root folder; DEFAULT_STORE_ROOT by default, resolved against the working directory. */
  root?: string;
  /**
   * Flush each file to disk (fsync) before it gets its final name, so that a
   * power loss or OS crash cannot leave a partial file under a final name
   * either. Off by default, which covers crashes of this process only.
   */
  durable?: boolean;
  /** Name of the store lock that deleteImage, collectGarbage and clear take. */
  lockName?: string;
  log?: Logger;
}

/** A ChunkStore over a folder of files. Folders are created on first write. */
export class FsChunkStore implements ChunkStore {
  readonly root: string;
  readonly lockName: string;
  private readonly durable: boolean;
  private readonly log: Logger | undefined;
  private folders: Promise<void> | undefined;

  constructor(options: FsChunkStoreOptions = {}) {
    this.root = resolve(options.root ?? DEFAULT_STORE_ROOT);
    this.durable = options.durable ?? false;
    this.lockName = options.lockName ?? STORE_LOCK_NAME;
    this.log = options.log;
  }

  async has(digest: Digest, options: StoreOptions = {}): Promise<boolean> {
    throwIfAborted(options.signal);
    return exists(this.chunkPath(parseDigest(digest, 'has')));
  }

  async get(digest: Digest, options: StoreOptions = {}): Promise<Uint8Array> {
    throwIfAborted(options.signal);
    const path = this.chunkPath(parseDigest(digest, 'get'));
    try {
      return plainBytes(await readFile(path));
    } catch (error) {
      if (errorCode(error) === 'ENOENT') throw new ChunkNotFoundError(digest);
      throw error;
    }
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
    if (chunks.length > 0) await this.ensureFolders();
    return mapLimit(chunks, FILE_CONCURRENCY, async (chunk, i) => {
      if (!first[i]) return false;
      throwIfAborted(options.signal);
      const path = this.chunkPath(digests[i]);
      if (await exists(path)) return false;
      return createFileAtomic(path, chunk.bytes, this.writeOptions());
    });
  }

  async putIndex(
    indexDigest: Digest,
    index: LayerIndex,
    options: StoreOptions = {},
  ): Promise<void> {
    throwIfAborted(options.signal);
    const path = this.indexPath(parseDigest(indexDigest, 'putIndex'));
    await this.ensureFolders();
    if (await exists(path)) return;
    const text = new TextEncoder().encode(JSON.stringify(index));
    await createFileAtomic(path, text, this.writeOptions());
  }

  async getIndex(
    indexDigest: Digest,
    options: StoreOptions = {},
  ): Promise<LayerIndex> {
    throwIfAborted(options.signal);
    const index = await this.readIndex(parseDigest(indexDigest, 'getIndex'));
    if (!index) throw indexNotFound(indexDigest);
    return index;
  }

  async putImage(record: ImageRecord, options: StoreOptions = {}): Promise<void> {
    throwIfAborted(options.signal);
    const path = this.imagePath(checkImageKey(record.key, 'putImage'));
    await this.ensureFolders();
    const text = new TextEncoder().encode(encodeImageRecord(record));
    await replaceFileAtomic(path, text, this.writeOptions());
  }

  async getImage(key: string, options: StoreOptions = {}): Promise<ImageRecord> {
    throwIfAborted(options.signal);
    const file = imageFileName(checkImageKey(key, 'getImage'));
    const text = await this.readText(join(this.root, 'images', file));
    if (text === undefined) throw imageNotFound(key);
    return decodeImageRecord(text, file);
  }

  async listImages(options: StoreOptions = {}): Promise<ImageRecord[]> {
    throwIfAborted(options.signal);
    const folder = join(this.root, 'images');
    const files = (await listFolder(folder)).filter((name) => IMAGE_NAME.test(name));
    const records = await mapLimit(files, FILE_CONCURRENCY, async (file) => {
      // A record deleted since the listing is simply left out.
      const text = await this.readText(join(folder, file));
      return text === undefined ? undefined : decodeImageRecord(text, file);
    });
    return records.filter((record) => record !== undefined).sort(compareByKey);
  }

  async deleteImage(key: string, options: StoreOptions = {}): Promise<number> {
    const path = this.imagePath(checkImageKey(key, 'deleteImage'));
    return this.exclusive(options.signal, async () => {
      if (!(await unlinkIfPresent(path))) throw imageNotFound(key);
      return this.sweep(options.signal);
    });
  }

  async collectGarbage(options: StoreOptions = {}): Promise<number> {
    return this.exclusive(options.signal, () => this.sweep(options.signal));
  }

  async clear(options: StoreOptions = {}): Promise<void> {
    await this.exclusive(options.signal, async () => {
      const all = () => false;
      await this.deleteUnlisted('images', IMAGE_NAME, options.signal, all);
      await this.deleteUnlisted('indexes', INDEX_NAME, options.signal, all);
      await this.deleteUnlisted('chunks', CHUNK_NAME, options.signal, all);
      await this.deleteUnlisted('tmp', TEMP_NAME, options.signal, all);
    });
  }

  async stats(options: StoreOptions = {}): Promise<StoreStats> {
    throwIfAborted(options.signal);
    const chunkNames = await this.namesIn('chunks', CHUNK_NAME);
    const sizes = await mapLimit(chunkNames, FILE_CONCURRENCY, (name) =>
      this.fileSize(join(this.root, 'chunks', name)),
    );
    return {
      chunkCount: sizes.filter((size) => size !== undefined).length,
      chunkBytes: sizes.reduce<number>((sum, size) => sum + (size ?? 0), 0),
      indexCount: (await this.namesIn('indexes', INDEX_NAME)).length,
      imageCount: (await this.namesIn('images', IMAGE_NAME)).length,
    };
  }

  async close(): Promise<void> {}

  private chunkPath(digest: Digest): string {
    return join(this.root, 'chunks', digestHex(digest));
  }

  private indexPath(indexDigest: Digest): string {
    return join(this.root, 'indexes', `${digestHex(indexDigest)}.json`);
  }

  private imagePath(key: string): string {
    return join(this.root, 'images', imageFileName(key));
  }

  private writeOptions(): WriteOptions {
    return { tempDir: join(this.root, 'tmp'), durable: this.durable };
  }

  private ensureFolders(): Promise<void> {
    this.folders ??= (async () => {
      for (const folder of FOLDERS) {
        await mkdir(join(this.root, folder), { recursive: true });
      }
    })().catch((error: unknown) => {
      this.folders = undefined;
      throw error;
    });
    return this.folders;
  }

  private exclusive<T>(
    signal: AbortSignal | undefined,
    fn: () => Promise<T>,
  ): Promise<T> {
    return withStoreLock('exclusive', fn, { name: this.lockName, signal });
  }

  /** Returns a file's text, or undefined when it does not exist. */
  private async readText(path: string): Promise<string | undefined> {
    try {
      return await readFile(path, 'utf8');
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return undefined;
      throw error;
    }
  }

  private async readIndex(indexDigest: Digest): Promise<LayerIndex | undefined> {
    const path = this.indexPath(indexDigest);
    const text = await this.readText(path);
    if (text === undefined) return undefined;
    try {
      return JSON.parse(text) as LayerIndex;
    } catch (error) {
      throw new InvalidInputError(`reading layer index ${path}: invalid JSON`, {
        cause: error,
      });
    }
  }

  private async namesIn(folder: string, pattern: RegExp): Promise<string[]> {
    const names = await listFolder(join(this.root, folder));
    return names.filter((name) => pattern.test(name));
  }

  private async fileSize(path: string): Promise<number | undefined> {
    try {
      return (await stat(path)).size;
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return undefined;
      throw error;
    }
  }

  /** Deletes every index, chunk and stale temporary file that nothing references. */
  private async sweep(signal: AbortSignal | undefined): Promise<number> {
    const images = await this.listImages({ signal });
    const references = await findReferences(
      images,
      (indexDigest) => this.readIndex(indexDigest),
      { signal, log: this.log },
    );
    await this.deleteUnlisted('indexes', INDEX_NAME, signal, (name) =>
      references.indexes.has(`sha256:${name.slice(0, 64)}`),
    );
    const deleted = await this.deleteUnlisted('chunks', CHUNK_NAME, signal, (name) =>
      references.chunks.has(`sha256:${name}`),
    );
    await this.deleteStaleTempFiles(signal);
    return deleted;
  }

  /** Deletes files in `folder` that match `pattern` but not `keep`; returns how many. */
  private async deleteUnlisted(
    folder: string,
    pattern: RegExp,
    signal: AbortSignal | undefined,
    keep: (name: string) => boolean,
  ): Promise<number> {
    const doomed = (await this.namesIn(folder, pattern)).filter((name) => !keep(name));
    const results = await mapLimit(doomed, FILE_CONCURRENCY, (name) => {
      throwIfAborted(signal);
      return unlinkIfPresent(join(this.root, folder, name));
    });
    return results.filter(Boolean).length;
  }

  /** Deletes temporary files that a crashed writer left, going by their age. */
  private async deleteStaleTempFiles(signal: AbortSignal | undefined): Promise<void> {
    const names = await this.namesIn('tmp', TEMP_NAME);
    const now = Date.now();
    await mapLimit(names, FILE_CONCURRENCY, async (name) => {
      throwIfAborted(signal);
      const path = join(this.root, 'tmp', name);
      const info = await stat(path).catch(() => undefined);
      if (info && now - info.mtimeMs > STALE_TEMP_AGE_MS) await unlinkIfPresent(path);
    });
  }
}

/** Returns a Buffer's bytes as a plain Uint8Array, whose slice() copies. */
function plainBytes(buffer: Buffer): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}
