/**
 * Store wrappers for a layer ingest that runs twice: the first records which
 * chunks it stored as new, the second reports those as new again.
 */
import type { ChunkStore } from '../store/chunk-store';

/** Returns `store` with putMany adding each newly stored digest to `storedNew`. */
export function recordingNew(store: ChunkStore, storedNew: Set<string>): ChunkStore {
  return withPutMany(store, async (chunks, options) => {
    const fresh = await store.putMany(chunks, options);
    fresh.forEach((isNew, i) => isNew && storedNew.add(chunks[i].digest));
    return fresh;
  });
}

/** Returns `store` with putMany reporting digests in `storedNew` as new. */
export function reportingNew(store: ChunkStore, storedNew: Set<string>): ChunkStore {
  return withPutMany(store, async (chunks, options) => {
    const fresh = await store.putMany(chunks, options);
    return fresh.map((isNew, i) => {
      if (!storedNew.has(chunks[i].digest)) return isNew;
      // Count a chunk once even if the layer contains it several times.
      storedNew.delete(chunks[i].digest);
      return true;
    });
  });
}

function withPutMany(store: ChunkStore, putMany: ChunkStore['putMany']): ChunkStore {
  return new Proxy(store, {
    get(target, property, receiver) {
      if (property === 'putMany') return putMany;
      const value = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
