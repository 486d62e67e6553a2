/// <reference lib="webworker" />
/** Import worker: ingests one layer per request straight into IndexedDB. */
import { openImageArchive } from '../core/archive/open';
import { runLayerHere } from '../core/ingest/image';
import { IDBChunkStore } from '../store/idb-chunk-store';
import { blobSource } from '../browser/blob-source';
import { webCryptoSHA256 } from '../browser/webcrypto-hash';
import type { ErrorEnvelope, IngestLayerRequest, WorkerRequest, WorkerResponse } from './protocol';

declare const self: DedicatedWorkerGlobalScope;

const stores = new Map<string, Promise<IDBChunkStore>>();

function storeFor(databaseName: string | undefined): Promise<IDBChunkStore> {
  const key = databaseName ?? '';
  let store = stores.get(key);
  if (!store) {
    store = IDBChunkStore.open(databaseName ? { name: databaseName } : {});
    stores.set(key, store);
  }
  return store;
}

function post(message: WorkerResponse): void {
  self.postMessage(message);
}

export function toEnvelope(error: unknown): ErrorEnvelope {
  if (error instanceof Error || (typeof error === 'object' && error !== null)) {
    const e = error as Error & { code?: ErrorEnvelope['code'] };
    return { name: e.name ?? 'Error', code: e.code, message: e.message ?? String(error), stack: e.stack };
  }
  return { name: 'Error', message: String(error) };
}

async function ingest(request: IngestLayerRequest): Promise<void> {
  const store = await storeFor(request.databaseName);
  const archive = await openImageArchive(blobSource(request.file, request.fileName));
  const image = await archive.loadImage(request.imageIndex);
  const outcome = await runLayerHere(image, request.layerIndex, {
    strategy: request.strategy,
    filesystem: request.filesystem,
    store,
    hashChunk: webCryptoSHA256,
    onProgress: (progress) => post({ type: 'progress', id: request.id, progress }),
  });
  post({ type: 'result', id: request.id, outcome });
}

self.onmessage = (event: MessageEvent<WorkerRequest>) => {
  const request = event.data;
  ingest(request).catch((error) => post({ type: 'error', id: request.id, error: toEnvelope(error) }));
};
