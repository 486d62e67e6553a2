/**
 * Browser entry for the IndexedDB store tests: runs the conformance cases
 * on IDBChunkStore and the checks that need a real browser (workers, quota).
 * test/browser/store-idb.spec.ts bundles it with serveBundle.
 */
import type { ChunkStore } from '../../lib/store/chunk-store';
import {
  DEFAULT_DATABASE_NAME,
  deleteChunkStoreDatabase,
  IDBChunkStore,
} from '../../lib/store/idb-chunk-store';
import { requestPersistentStorage, storageEstimate } from '../../lib/store/storage-quota';
import { findStoreCase, runStoreCase, type StoreHarness } from './chunk-store.cases';
import { makeChunks } from './store-fixtures';
import type { WorkerReply, WorkerRequest } from './idb-worker';

let databases = 0;

const harness: StoreHarness = {
  async setup() {
    const name = `chunk-store-case-${++databases}`;
    await deleteChunkStoreDatabase(name);
    return IDBChunkStore.open({ name });
  },
  async reopen(store) {
    await store.close();
    return IDBChunkStore.open({ name: nameOf(store) });
  },
  async teardown(store) {
    await store.close();
    await deleteChunkStoreDatabase(nameOf(store));
  },
};

function nameOf(store: ChunkStore): string {
  return (store as IDBChunkStore).name;
}

/** Runs one conformance case on a new IndexedDB database. */
export function runCase(group: string, name: string): Promise<void> {
  return runStoreCase(findStoreCase(group, name), harness);
}

/** Opens the default store and returns the database's name and object stores. */
export async function describeDefaultDatabase(): Promise<{ names: string[]; stores: string[] }> {
  const store = await IDBChunkStore.open();
  await store.close();
  const names = (await indexedDB.databases()).map((info) => info.name ?? '');
  const db = await new Promise<IDBDatabase>((done, fail) => {
    const request = indexedDB.open(DEFAULT_DATABASE_NAME);
    request.onsuccess = () => done(request.result);
    request.onerror = () => fail(request.error);
  });
  const stores = [...db.objectStoreNames];
  db.close();
  return { names, stores };
}

/** Sends one request to a new worker and resolves with its first reply of `type`. */
function startWorker(url: string): {
  send(request: WorkerRequest): void;
  next(type: WorkerReply['type']): Promise<WorkerReply>;
  stop(): void;
} {
  const worker = new Worker(url, { type: 'module' });
  const replies: WorkerReply[] = [];
  const waiters: (() => void)[] = [];
  let failure: Error | undefined;
  const wake = () => waiters.splice(0).forEach((waiter) => waiter());
  worker.onmessage = (event: MessageEvent<WorkerReply>) => {
    replies.push(event.data);
    wake();
  };
  worker.onerror = (event) => {
    failure = new Error(`worker failed: ${event.message}`);
    wake();
  };
  const next = async (type: WorkerReply['type']): Promise<WorkerReply> => {
    for (;;) {
      if (failure) throw failure;
      const at = replies.findIndex((reply) => reply.type === type || reply.type === 'error');
      if (at >= 0) {
        const [reply] = replies.splice(at, 1);
        if (reply.type === 'error') throw new Error(`worker: ${reply.name}: ${reply.message}`);
        return reply;
      }
      await new Promise<void>((done) => waiters.push(done));
    }
  };
  return { send: (request) => worker.postMessage(request), next, stop: () => worker.terminate() };
}

/**
 * Stores chunks from a worker and from this page at the same time, then reads
 * them here. Returns how often each chunk was flagged new across both.
 */
export async function putFromWorkerAndPage(workerURL: string): Promise<{
  newCounts: number[];
  bytesMatch: boolean[];
  chunkCount: number;
}> {
  const database = 'chunk-store-worker-put';
  await deleteChunkStoreDatabase(database);
  const chunks = await makeChunks([1, 2, 3, 4, 5, 6, 7, 8], 4096);
  const store = await IDBChunkStore.open({ name: database });
  const worker = startWorker(workerURL);
  try {
    worker.send({ type: 'put', database, chunks });
    const [fromPage, reply] = await Promise.all([store.putMany(chunks), worker.next('put')]);
    const fromWorker = reply.type === 'put' ? reply.flags : [];
    const newCounts = chunks.map((_, i) => Number(fromPage[i]) + Number(fromWorker[i]));
    const bytesMatch = await Promise.all(
      chunks.map(async (chunk) => sameBytes(await store.get(chunk.digest), chunk.bytes)),
    );
    return { newCounts, bytesMatch, chunkCount: (await store.stats()).chunkCount };
  } finally {
    worker.stop();
    await store.close();
  }
}

/**
 * Starts an ingest in a worker that stops, holding the shared store lock,
 * after its chunks and index are stored. Runs collectGarbage here meanwhile
 * and reports what the sweep did before and after the ingest committed.
 */
export async function collectGarbageDuringWorkerIngest(workerURL: string): Promise<{
  finishedBeforeCommit: boolean;
  deleted: number;
  chunksKept: boolean[];
  imageKeys: string[];
}> {
  const database = 'chunk-store-worker-ingest';
  await deleteChunkStoreDatabase(database);
  const chunks = await makeChunks([11, 12, 13], 2048);
  const store = await IDBChunkStore.open({ name: database });
  const worker = startWorker(workerURL);
  try {
    worker.send({ type: 'ingest', database, chunks, key: 'image-w' });
    await worker.next('stored');
    let finished = false;
    const sweep = store.collectGarbage().then((count) => {
      finished = true;
      return count;
    });
    await new Promise((done) => setTimeout(done, 300));
    const finishedBeforeCommit = finished;
    worker.send({ type: 'commit' });
    await worker.next('committed');
    const deleted = await sweep;
    const chunksKept = await Promise.all(chunks.map((chunk) => store.has(chunk.digest)));
    const imageKeys = (await store.listImages()).map((record) => record.key);
    return { finishedBeforeCommit, deleted, chunksKept, imageKeys };
  } finally {
    worker.stop();
    await store.close();
  }
}

/** The fields of a QuotaExceededError, copied out of the page. */
interface QuotaErrorFields {
  name: string;
  code?: string;
  message: string;
  quota?: number;
  usage?: number;
  storedBytes?: number;
}

/**
 * Stores 64 KiB chunks in batches of 16 until a write fails, and returns the
 * error's fields and the store's figures afterwards.
 */
export async function fillUntilQuotaExceeded(maxBatches: number): Promise<{
  batchesStored: number;
  error?: QuotaErrorFields;
  chunkBytesAfter: number;
}> {
  const database = 'chunk-store-quota';
  await deleteChunkStoreDatabase(database);
  const store = await IDBChunkStore.open({ name: database });
  try {
    for (let batch = 0; batch < maxBatches; batch++) {
      const seeds = Array.from({ length: 16 }, (_, i) => batch * 16 + i + 1);
      const chunks = await makeChunks(seeds, 65536);
      try {
        await store.putMany(chunks);
      } catch (caught) {
        const { name, code, message, quota, usage, storedBytes } = caught as QuotaErrorFields;
        return {
          batchesStored: batch,
          error: { name, code, message, quota, usage, storedBytes },
          chunkBytesAfter: (await store.stats()).chunkBytes,
        };
      }
    }
    return { batchesStored: maxBatches, chunkBytesAfter: (await store.stats()).chunkBytes };
  } finally {
    await store.close();
    await deleteChunkStoreDatabase(database);
  }
}

/**
 * Aborts a putMany of 256 chunks of 64 KiB shortly after it starts, or
 * right after the call when `delayMs` is 0. Returns the rejection's name
 * and how many chunks the store holds afterwards.
 */
export async function abortDuringPutMany(delayMs: number): Promise<{
  errorName: string | undefined;
  chunkCount: number;
}> {
  const database = `chunk-store-abort-${delayMs}`;
  await deleteChunkStoreDatabase(database);
  const store = await IDBChunkStore.open({ name: database });
  const chunks = await makeChunks(Array.from({ length: 256 }, (_, i) => i + 1), 65536);
  const controller = new AbortController();
  try {
    const call = store.putMany(chunks, { signal: controller.signal });
    if (delayMs > 0) await new Promise((done) => setTimeout(done, delayMs));
    controller.abort();
    const errorName = await call.then(
      () => undefined,
      (error: Error) => error.name,
    );
    return { errorName, chunkCount: (await store.stats()).chunkCount };
  } finally {
    await store.close();
    await deleteChunkStoreDatabase(database);
  }
}

/** Returns the storage estimate and the result of a persistent storage request. */
export async function storageFigures(): Promise<{
  estimate: { usage: number; quota: number } | undefined;
  persistent: boolean;
}> {
  return { estimate: await storageEstimate(), persistent: await requestPersistentStorage() };
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}
