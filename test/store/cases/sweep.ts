/** Conformance cases for deleteImage and collectGarbage. Browser-safe. */
import { NotFoundError } from '../../../lib/core/errors';
import type { ChunkStore } from '../../../lib/store/chunk-store';
import { withStoreLock } from '../../../lib/store/store-lock';
import { checkDeepEqual, checkEqual, checkRejects } from '../assertions';
import {
  indexDigestOf,
  ingestImage,
  makeChunks,
  makeImage,
  makeIndex,
  type TestChunk,
} from '../store-fixtures';
import { delay, type StoreCase } from './types';

async function checkStored(
  store: ChunkStore,
  chunks: readonly TestChunk[],
  expected: boolean,
  what: string,
): Promise<void> {
  for (const chunk of chunks) {
    checkEqual(await store.has(chunk.digest), expected, `${what}: has(${chunk.digest})`);
  }
}

export const SWEEP_CASES: StoreCase[] = [
  {
    group: 'deleteImage',
    name: 'should delete only chunks that no other image references',
    async run({ store }) {
      const [c1, c2, c3, c4, c5] = await makeChunks([1, 2, 3, 4, 5]);
      const a = await ingestImage(store, 'image-a', [[c1, c2], [c3]]);
      const b = await ingestImage(store, 'image-b', [[c3, c4], [c5, c4]]);

      checkEqual(await store.deleteImage('image-a'), 2, 'deleteImage(image-a)');
      await checkStored(store, [c1, c2], false, 'after deleting image-a');
      await checkStored(store, [c3, c4, c5], true, 'after deleting image-a');
      await checkRejects(store.getIndex(a.indexDigests[0]), { type: NotFoundError }, 'getIndex(image-a layer 0)');
      for (const indexDigest of b.indexDigests) await store.getIndex(indexDigest);
      const keys = (await store.listImages()).map((record) => record.key);
      checkDeepEqual(keys, ['image-b'], 'listImages() keys');

      checkEqual(await store.deleteImage('image-b'), 3, 'deleteImage(image-b)');
      const stats = await store.stats();
      checkDeepEqual(stats, { chunkCount: 0, chunkBytes: 0, indexCount: 0, imageCount: 0 }, 'stats()');
    },
  },
  {
    group: 'deleteImage',
    name: 'should keep a layer index that another image shares',
    async run({ store }) {
      const [c1, c2, c3] = await makeChunks([1, 2, 3]);
      await ingestImage(store, 'image-a', [[c1, c2]]);
      const b = await ingestImage(store, 'image-b', [[c1, c2], [c3]]);
      checkEqual(await store.deleteImage('image-a'), 0, 'deleteImage(image-a)');
      checkDeepEqual(await store.getIndex(b.indexDigests[0]), await makeIndex([c1, c2]), 'shared index');
      await checkStored(store, [c1, c2, c3], true, 'after deleting image-a');
    },
  },
  {
    group: 'deleteImage',
    name: 'should throw NotFoundError for a missing image and delete nothing',
    async run({ store }) {
      const orphans = await makeChunks([1, 2]);
      await store.putMany(orphans);
      await checkRejects(
        store.deleteImage('missing'),
        { type: NotFoundError, code: 'NOT_FOUND' },
        'deleteImage(missing)',
      );
      await checkStored(store, orphans, true, 'after deleteImage(missing)');
    },
  },
  {
    group: 'collectGarbage',
    name: 'should delete chunks and indexes that no image references',
    async run({ store }) {
      const [c1, c2, c3, c4] = await makeChunks([1, 2, 3, 4]);
      const kept = await ingestImage(store, 'image-a', [[c1, c2]]);
      // A failed ingest: chunks and an index stored, but no image record.
      await store.putMany([c2, c3, c4]);
      const orphanIndex = await makeIndex([c2, c3, c4]);
      const orphanDigest = await indexDigestOf(orphanIndex);
      await store.putIndex(orphanDigest, orphanIndex);

      checkEqual(await store.collectGarbage(), 2, 'collectGarbage()');
      await checkStored(store, [c1, c2], true, 'after collectGarbage');
      await checkStored(store, [c3, c4], false, 'after collectGarbage');
      await checkRejects(store.getIndex(orphanDigest), { type: NotFoundError }, 'getIndex(orphan index)');
      await store.getIndex(kept.indexDigests[0]);
      checkEqual(await store.collectGarbage(), 0, 'collectGarbage() again');
    },
  },
  {
    group: 'collectGarbage',
    name: 'should delete every chunk when no image is stored',
    async run({ store }) {
      await store.putMany(await makeChunks([1, 2, 3]));
      checkEqual(await store.collectGarbage(), 3, 'collectGarbage()');
      checkEqual((await store.stats()).chunkCount, 0, 'stats().chunkCount');
    },
  },
  {
    group: 'collectGarbage',
    name: 'should wait for an ingest that holds the shared lock',
    async run({ store }) {
      const chunks = await makeChunks([1, 2, 3]);
      const index = await makeIndex(chunks);
      const indexDigest = await indexDigestOf(index);
      let resume!: () => void;
      const resumed = new Promise<void>((done) => (resume = done));
      let stored!: () => void;
      const chunksStored = new Promise<void>((done) => (stored = done));

      const ingest = withStoreLock('shared', async () => {
        await store.putMany(chunks);
        await store.putIndex(indexDigest, index);
        stored();
        await resumed;
        await store.putImage(await makeImage('image-a', [{ indexDigest, index }]));
      });
      await chunksStored;
      let deleted: number | undefined;
      const sweep = store.collectGarbage().then((count) => (deleted = count));
      await delay(150);
      checkEqual(deleted, undefined, 'collectGarbage() result while the ingest runs');
      resume();
      await ingest;
      await sweep;
      checkEqual(deleted, 0, 'collectGarbage() after the ingest');
      await checkStored(store, chunks, true, 'after collectGarbage');
    },
  },
];
