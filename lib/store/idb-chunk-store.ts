/**
 * The chunk store in IndexedDB, for the browser's main thread and workers.
 * This file is the only importer of idb.
 *
 * Object stores of the "chunked-containers" database (schema version 1):
 *   chunks      key: chunk digest, value: the chunk's bytes (Uint8Array)
 *   chunkSizes  key: chunk digest, value: byte length, so stats need no chunk reads
 *   indexes     key: index digest, value: LayerIndex
 *   images      key: the record's `key` field, value: ImageRecord
 *
 * Transaction guarantees this code relies on (Indexed Database API 3.0,
 * "Transaction lifecycle" and "Transaction scheduling"):
 * - Readwrite transactions whose scopes overlap run one at a time, in the order
 *   they were created, across every connection to the database (tabs, workers).
 *   So the `has` check inside putMany's transaction reflects every earlier write,
 *   and two writers of one chunk never both report it new.
 * - A transaction commits all of its requests or none. A chunk and its size
 *   row are written in one transaction, so stats never count half a chunk.
 * - A transaction stays active only while requests are pending; awaiting
 *   anything but its own requests (a timer, fetch, hashing) commits it early.
 *   So each transaction below issues all of its requests without other awaits.
 */
import {
  deleteDB,
  openDB,
  type DBSchema,
  type IDBPDatabase,
  type IDBPTransaction,
  type StoreNames,
} from 'idb';
import { parseDigest, type Digest } from '../core/digest';
import { abortError, ChunkNotFoundError, UnsupportedError } from '../core/errors';
import type { ImageRecord, LayerIndex } from '../core/layer-index';
import type { Logger } from '../core/log';
import type { ChunkStore, StoreOptions, StoreStats } from './chunk-store';
import { findReferences } from './references';
import { STORE_LOCK_NAME, withStoreLock } from './store-lock';
import {
  checkImageKey,
  firstOccurrences,
  imageNotFound,
  indexNotFound,
  ownBytes,
  throwIfAborted,
} from './store-util';
import { isQuotaExceeded, QuotaExceededError, storageEstimate } from './storage-quota';

/** Database name used when none is given. */
export const DEFAULT_DATABASE_NAME = 'chunked-containers';

/** Schema version; each version adds one step to `upgradeSchema`. */
const SCHEMA_VERSION = 1;

/** Keys the sweep reads and deletes per transaction. */
const SWEEP_PAGE_SIZE = 512;

interface ChunkStoreSchema extends DBSchema {
  chunks: { key: string; value: Uint8Array };
  chunkSizes: { key: string; value: number };
  indexes: { key: string; value: LayerIndex };
  images: { key: string; value: ImageRecord };
}

type StoreName = StoreNames<ChunkStoreSchema>;
type Database = IDBPDatabase<ChunkStoreSchema>;
type Transaction<
  Names extends StoreName[],
  Mode extends IDBTransactionMode,
> = IDBPTransaction<ChunkStoreSchema, Names, Mode>;

export interface IDBChunkStoreOptions {
  /** Database name; DEFAULT_DATABASE_NAME by default. */
  name?: string;
  /** Name of the store lock that deleteImage, collectGarbage and clear take. */
  lockName?: string;
  log?: Logger;
}

/** Creates the object stores of every schema version after `oldVersion`. */
function upgradeSchema(db: Database, oldVersion: number): void {
  if (oldVersion < 1) {
    db.createObjectStore('chunks');
    db.createObjectStore('chunkSizes');
    db.createObjectStore('indexes');
    db.createObjectStore('images', { keyPath: 'key' });
  }
}

/** Deletes the whole database, for example to reset the app or after a test. */
export async function deleteChunkStoreDatabase(
  name = DEFAULT_DATABASE_NAME,
): Promise<void> {
  await deleteDB(name);
}

/** A ChunkStore over one IndexedDB database. Open it with `IDBChunkStore.open`. */
export class IDBChunkStore implements ChunkStore {
  readonly name: string;
  readonly lockName: string;
  private readonly log: Logger | undefined;
  private connection: Promise<Database> | undefined;
  private closed = false;

  /** Opens (creating or upgrading) the database and returns the store. */
  static async open(options: IDBChunkStoreOptions = {}): Promise<IDBChunkStore> {
    const store = new IDBChunkStore(options);
    await store.database();
    return store;
  }

  private constructor(options: IDBChunkStoreOptions) {
    this.name = options.name ?? DEFAULT_DATABASE_NAME;
    this.lockName = options.lockName ?? STORE_LOCK_NAME;
    this.log = options.log;
  }

  async has(digest: Digest, options: StoreOptions = {}): Promise<boolean> {
    throwIfAborted(options.signal);
    const key = parseDigest(digest, 'has');
    const db = await this.database();
    return (await db.getKey('chunks', key)) !== undefined;
  }

  async get(digest: Digest, options: StoreOptions = {}): Promise<Uint8Array> {
    throwIfAborted(options.signal);
    const key = parseDigest(digest, 'get');
    const db = await this.database();
    const bytes = await db.get('chunks', key);
    if (!bytes) throw new ChunkNotFoundError(digest);
    return bytes;
  }

  /** Stores the whole batch in one readwrite transaction. */
  async putMany(
    chunks: readonly { digest: Digest; bytes: Uint8Array }[],
    options: StoreOptions = {},
  ): Promise<boolean[]> {
    throwIfAborted(options.signal);
    const digests = chunks.map((chunk, i) =>
      parseDigest(chunk.digest, `putMany: chunk ${i}`),
    );
    if (chunks.length === 0) return [];
    const values = chunks.map((chunk) => ownBytes(chunk.bytes));
    let size = 0;
    for (const value of values) size += value.length;
    return this.write(`storing ${chunks.length} chunks (${size} bytes)`, () =>
      this.transact(['chunks', 'chunkSizes'], 'readwrite', options.signal, (tx) =>
        putChunks(tx, digests, values),
      ),
    );
  }

  async putIndex(
    indexDigest: Digest,
    index: LayerIndex,
    options: StoreOptions = {},
  ): Promise<void> {
    throwIfAborted(options.signal);
    const key = parseDigest(indexDigest, 'putIndex');
    await this.write(`storing layer index ${key}`, () =>
      this.transact(['indexes'], 'readwrite', options.signal, async (tx) => {
        const store = tx.objectStore('indexes');
        if ((await store.getKey(key)) === undefined) await store.put(index, key);
      }),
    );
  }

  async getIndex(
    indexDigest: Digest,
    options: StoreOptions = {},
  ): Promise<LayerIndex> {
    throwIfAborted(options.signal);
    const key = parseDigest(indexDigest, 'getIndex');
    const index = await (await this.database()).get('indexes', key);
    if (!index) throw indexNotFound(indexDigest);
    return index;
  }

  async putImage(record: ImageRecord, options: StoreOptions = {}): Promise<void> {
    throwIfAborted(options.signal);
    const key = checkImageKey(record.key, 'putImage');
    await this.write(`storing image ${JSON.stringify(key)}`, () =>
      this.transact(['images'], 'readwrite', options.signal, async (tx) => {
        await tx.objectStore('images').put({
          ...record,
          rawManifest: ownBytes(record.rawManifest),
          rawConfig: ownBytes(record.rawConfig),
        });
      }),
    );
  }

  async getImage(key: string, options: StoreOptions = {}): Promise<ImageRecord> {
    throwIfAborted(options.signal);
    checkImageKey(key, 'getImage');
    const record = await (await this.database()).get('images', key);
    if (!record) throw imageNotFound(key);
    return record;
  }

  /** Returns every image record in key order. */
  async listImages(options: StoreOptions = {}): Promise<ImageRecord[]> {
    throwIfAborted(options.signal);
    return (await this.database()).getAll('images');
  }

  async deleteImage(key: string, options: StoreOptions = {}): Promise<number> {
    checkImageKey(key, 'deleteImage');
    return this.exclusive(options.signal, async () => {
      await this.transact(['images'], 'readwrite', options.signal, async (tx) => {
        const images = tx.objectStore('images');
        if ((await images.getKey(key)) === undefined) throw imageNotFound(key);
        await images.delete(key);
      });
      return this.sweep(options.signal);
    });
  }

  async collectGarbage(options: StoreOptions = {}): Promise<number> {
    return this.exclusive(options.signal, () => this.sweep(options.signal));
  }

  async clear(options: StoreOptions = {}): Promise<void> {
    const names: StoreName[] = ['chunks', 'chunkSizes', 'indexes', 'images'];
    await this.exclusive(options.signal, () =>
      this.transact(names, 'readwrite', options.signal, async (tx) => {
        await Promise.all(names.map((name) => tx.objectStore(name).clear()));
      }),
    );
  }

  /** Counts in one readonly transaction, so the figures agree with each other. */
  async stats(options: StoreOptions = {}): Promise<StoreStats> {
    const names: StoreName[] = ['chunks', 'chunkSizes', 'indexes', 'images'];
    return this.transact(names, 'readonly', options.signal, async (tx) => {
      // NOTE: reads every size row, so the cost grows with the chunk count.
      const [chunkCount, sizes, indexCount, imageCount] = await Promise.all([
        tx.objectStore('chunks').count(),
        tx.objectStore('chunkSizes').getAll(),
        tx.objectStore('indexes').count(),
        tx.objectStore('images').count(),
      ]);
      let chunkBytes = 0;
      for (const size of sizes) chunkBytes += size;
      return { chunkCount, chunkBytes, indexCount, imageCount };
    });
  }

  /** Closes the connection; the store cannot be used afterwards. */
  async close(): Promise<void> {
    this.closed = true;
    const connection = this.connection;
    this.connection = undefined;
    if (connection) (await connection.catch(() => undefined))?.close();
  }

  /** Returns the open connection, opening it again if the browser closed it. */
  private database(): Promise<Database> {
    if (this.closed) {
      const message = `IDBChunkStore ${this.name}: called after close(); open the store again`;
      return Promise.reject(new Error(message));
    }
    this.connection ??= this.openDatabase().catch((error: unknown) => {
      this.connection = undefined;
      throw error;
    });
    return this.connection;
  }

  private async openDatabase(): Promise<Database> {
    const forget = () => {
      this.connection = undefined;
    };
    try {
      return await openDB<ChunkStoreSchema>(this.name, SCHEMA_VERSION, {
        upgrade: (db, oldVersion) => upgradeSchema(db, oldVersion),
        // Another connection wants to upgrade or delete the database. Closing
        // lets it go ahead; the next call here opens the database again.
        blocking: (_current, _blocked, event) => {
          (event.target as IDBDatabase).close();
          forget();
        },
        // The browser closed the connection, e.g. when site data was cleared.
        terminated: forget,
      });
    } catch (error) {
      if ((error as { name?: unknown }).name !== 'VersionError') throw error;
      throw new UnsupportedError(
        `opening IndexedDB database ${this.name}: it was upgraded past schema version ${SCHEMA_VERSION} by newer code; reload the page`,
        { cause: error },
      );
    }
  }

  /**
   * Runs `body` in a new transaction and resolves once the transaction has
   * committed. An error in `body` or an aborted `signal` aborts the
   * transaction, so none of its writes land.
   */
  private async transact<Names extends StoreName[], Mode extends IDBTransactionMode, T>(
    names: Names,
    mode: Mode,
    signal: AbortSignal | undefined,
    body: (tx: Transaction<Names, Mode>) => Promise<T>,
  ): Promise<T> {
    const db = await this.database();
    // An abort during the await came before the listener below existed.
    throwIfAborted(signal);
    const tx = db.transaction(names, mode);
    const abort = () => abortQuietly(tx);
    signal?.addEventListener('abort', abort, { once: true });
    try {
      const run = body(tx).catch((error: unknown) => {
        abort();
        throw error;
      });
      const [result] = await Promise.all([run, tx.done]);
      return result;
    } catch (error) {
      if (signal?.aborted) throw abortError();
      throw error;
    } finally {
      signal?.removeEventListener('abort', abort);
    }
  }

  /** Runs a write and turns a full quota into QuotaExceededError naming the figures. */
  private async write<T>(step: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      if (!isQuotaExceeded(error)) throw error;
      const [stats, estimate] = await Promise.all([
        this.stats().catch(() => undefined),
        storageEstimate().catch(() => undefined),
      ]);
      throw new QuotaExceededError({
        step,
        storedBytes: stats?.chunkBytes,
        estimate,
        cause: error,
      });
    }
  }

  private exclusive<T>(signal: AbortSignal | undefined, fn: () => Promise<T>): Promise<T> {
    return withStoreLock('exclusive', fn, { name: this.lockName, signal });
  }

  /** Deletes every index and chunk that no image references; returns the chunk count. */
  private async sweep(signal: AbortSignal | undefined): Promise<number> {
    const db = await this.database();
    const images = await db.getAll('images');
    const references = await findReferences(
      images,
      async (indexDigest) => (await this.database()).get('indexes', indexDigest),
      { signal, log: this.log },
    );
    await this.deleteUnreferenced(['indexes'], references.indexes, signal);
    return this.deleteUnreferenced(['chunks', 'chunkSizes'], references.chunks, signal);
  }

  /**
   * Walks the keys of `names[0]` in pages and deletes, from every store in
   * `names`, the keys not in `keep`. Returns how many keys it deleted.
   */
  private async deleteUnreferenced(
    names: StoreName[],
    keep: ReadonlySet<string>,
    signal: AbortSignal | undefined,
  ): Promise<number> {
    let deleted = 0;
    let after: string | undefined;
    for (;;) {
      const range = after === undefined ? undefined : IDBKeyRange.lowerBound(after, true);
      const keys = await this.transact([names[0]], 'readonly', signal, (tx) =>
        tx.objectStore(names[0]).getAllKeys(range, SWEEP_PAGE_SIZE),
      );
      if (keys.length === 0) return deleted;
      after = keys[keys.length - 1];
      const doomed = keys.filter((key) => !keep.has(key));
      if (doomed.length === 0) continue;
      await this.transact(names, 'readwrite', signal, async (tx) => {
        const deletes = names.flatMap((name) =>
          doomed.map((key) => tx.objectStore(name).delete(key)),
        );
        await Promise.all(deletes);
      });
      deleted += doomed.length;
    }
  }
}

/**
 * Stores the chunks not stored yet inside `tx` and returns, per chunk, true
 * when it was new. Every request is issued before the first await finishes,
 * which keeps the transaction active.
 */
async function putChunks(
  tx: Transaction<['chunks', 'chunkSizes'], 'readwrite'>,
  digests: readonly Digest[],
  values: readonly Uint8Array[],
): Promise<boolean[]> {
  const chunks = tx.objectStore('chunks');
  const sizes = tx.objectStore('chunkSizes');
  const first = firstOccurrences(digests);
  const stored = await Promise.all(
    digests.map((digest, i) => (first[i] ? chunks.getKey(digest) : digest)),
  );
  const flags = digests.map((_, i) => first[i] && stored[i] === undefined);
  const writes: Promise<unknown>[] = [];
  flags.forEach((isNew, i) => {
    if (!isNew) return;
    writes.push(chunks.put(values[i], digests[i]));
    writes.push(sizes.put(values[i].length, digests[i]));
  });
  await Promise.all(writes);
  return flags;
}

function abortQuietly(tx: { abort(): void }): void {
  try {
    tx.abort();
  } catch {
    // The transaction has already committed or aborted.
  }
}
