import { MemoryChunkStore } from '../../lib/store/memory-chunk-store';
import { chunkStoreSuite } from './chunk-store.suite';

chunkStoreSuite('MemoryChunkStore', {
  async setup() {
    return new MemoryChunkStore();
  },
  async reopen(store) {
    await store.close();
    return new MemoryChunkStore({ data: (store as MemoryChunkStore).data });
  },
  async teardown(store) {
    await store.close();
  },
});
