/**
 * Worker entry for the IndexedDB store tests: stores chunks, or runs an
 * ingest that holds the shared store lock until the page sends 'commit'.
 */
import { IDBChunkStore } from '../../lib/store/idb-chunk-store';
import { withStoreLock } from '../../lib/store/store-lock';
import { indexDigestOf, makeImage, makeIndex, type TestChunk } from './store-fixtures';

export type WorkerRequest =
  | { type: 'put'; database: string; chunks: TestChunk[] }
  | { type: 'ingest'; database: string; chunks: TestChunk[]; key: string }
  | { type: 'commit' };

export type WorkerReply =
  | { type: 'put'; flags: boolean[] }
  | { type: 'stored' }
  | { type: 'committed' }
  | { type: 'error'; name: string; message: string };

/** The parts of DedicatedWorkerGlobalScope used here; the DOM types lack it. */
interface WorkerScope {
  postMessage(message: WorkerReply): void;
  addEventListener(type: 'message', listener: (event: MessageEvent<WorkerRequest>) => void): void;
}

const scope = self as unknown as WorkerScope;
let commit: (() => void) | undefined;

async function put(database: string, chunks: TestChunk[]): Promise<void> {
  const store = await IDBChunkStore.open({ name: database });
  try {
    scope.postMessage({ type: 'put', flags: await store.putMany(chunks) });
  } finally {
    await store.close();
  }
}

async function ingest(database: string, chunks: TestChunk[], key: string): Promise<void> {
  const store = await IDBChunkStore.open({ name: database });
  const index = await makeIndex(chunks);
  const indexDigest = await indexDigestOf(index);
  const committed = new Promise<void>((done) => (commit = done));
  try {
    await withStoreLock('shared', async () => {
      await store.putMany(chunks);
      await store.putIndex(indexDigest, index);
      scope.postMessage({ type: 'stored' });
      await committed;
      await store.putImage(await makeImage(key, [{ indexDigest, index }]));
    });
    scope.postMessage({ type: 'committed' });
  } finally {
    await store.close();
  }
}

function handle(request: WorkerRequest): Promise<void> {
  switch (request.type) {
    case 'put':
      return put(request.database, request.chunks);
    case 'ingest':
      return ingest(request.database, request.chunks, request.key);
    case 'commit':
      commit?.();
      return Promise.resolve();
  }
}

scope.addEventListener('message', (event) => {
  handle(event.data).catch((error: Error) => {
    scope.postMessage({ type: 'error', name: error.name, message: error.message });
  });
});
