/// <reference lib="webworker" />
/** Import worker: ingests one layer per request straight into IndexedDB. */
import { openImageArchive } from '../core/archive/open';

/** Manifest annotation that marks an eStargz layer, whose gzip stream has many members. */
const TOC_DIGEST_ANNOTATION = 'containerd.io/snapshot/stargz/toc.digest';
import { runLayerHere } from '../core/ingest/image';
import { reindexLayer } from '../core/ingest/stored-layer';
import { convertStoredLayer } from '../core/convert/estargz';
import type { ArchiveImage } from '../core/archive/types';
import { isAbortError } from '../core/errors';
import type { LayerOutcome } from '../core/ingest/image';
import type { LayerProgress } from '../core/ingest/layer';
import type { ChunkStore } from '../store/chunk-store';
import { IDBChunkStore } from '../store/idb-chunk-store';
import { platformGunzip } from '../browser/platform-inflate';
import { recordingNew, reportingNew } from './new-chunks';
import { blobSource } from '../browser/blob-source';
import { webCryptoSHA256 } from '../browser/webcrypto-hash';
import type {
  ConvertLayerRequest,
  ErrorEnvelope,
  IngestLayerRequest,
  ReindexLayerRequest,
  WorkerRequest,
  WorkerResponse,
} from './protocol';

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

let warnedFallback = false;

/**
 * Ingests a gzip layer with the platform inflater first and, when that fails
 * (as it does on multi-member gzip in Chromium), once more with fflate. The
 * second pass reports a chunk as new when the first pass stored it, so the
 * counts match a single pass.
 */
async function ingestWithFallback(
  image: ArchiveImage,
  request: IngestLayerRequest,
  store: ChunkStore,
): Promise<LayerOutcome> {
  const options = {
    strategy: request.strategy,
    filesystem: request.filesystem,
    hashChunk: webCryptoSHA256,
    onProgress: (progress: LayerProgress) => post({ type: 'progress', id: request.id, progress }),
  };
  const layer = image.layers[request.layerIndex];
  const multiMember = layer.annotations?.[TOC_DIGEST_ANNOTATION] !== undefined;
  if (layer.compression !== 'gzip' || multiMember || typeof DecompressionStream === 'undefined') {
    return runLayerHere(image, request.layerIndex, { ...options, store });
  }
  const storedNew = new Set<string>();
  try {
    return await runLayerHere(image, request.layerIndex, {
      ...options,
      store: recordingNew(store, storedNew),
      inflate: platformGunzip,
    });
  } catch (error) {
    if (isAbortError(error) || !(error instanceof TypeError)) throw error;
    if (!warnedFallback) {
      console.warn(`DecompressionStream failed on layer ${request.layerIndex} (${error.message}); using fflate`);
      warnedFallback = true;
    }
    return runLayerHere(image, request.layerIndex, { ...options, store: reportingNew(store, storedNew) });
  }
}

async function ingest(request: IngestLayerRequest): Promise<void> {
  const store = await storeFor(request.databaseName);
  const archive = await openImageArchive(blobSource(request.file, request.fileName));
  const image = await archive.loadImage(request.imageIndex);
  const outcome = await ingestWithFallback(image, request, store);
  post({ type: 'result', id: request.id, outcome });
}

async function reindex(request: ReindexLayerRequest): Promise<void> {
  const store = await storeFor(request.databaseName);
  const source = await store.getIndex(request.sourceIndexDigest);
  const outcome = await reindexLayer(source, request.layerIndex, {
    strategy: request.strategy,
    filesystem: request.filesystem,
    store,
    hashChunk: webCryptoSHA256,
    onProgress: (progress) => post({ type: 'progress', id: request.id, progress }),
  });
  post({ type: 'result', id: request.id, outcome });
}

/** Builds one layer's eStargz blob from the stored chunks and stores the blob. */
async function convert(request: ConvertLayerRequest): Promise<void> {
  const store = await storeFor(request.databaseName);
  const record = await store.getImage(request.recordKey);
  const layer = await convertStoredLayer(record, request.layerIndex, store, {
    ...request.options,
    hashChunk: webCryptoSHA256,
    onProgress: (_, progress) => post({ type: 'convert-progress', id: request.id, progress }),
  });
  post({ type: 'converted', id: request.id, layer });
}

self.onmessage = (event: MessageEvent<WorkerRequest>) => {
  const request = event.data;
  const task =
    request.type === 'reindex-layer' ? reindex(request)
    : request.type === 'convert-layer' ? convert(request)
    : ingest(request);
  task.catch((error) => post({ type: 'error', id: request.id, error: toEnvelope(error) }));
};
