/** Conformance cases for clear, stats, cancellation and reopening. Browser-safe. */
import { NotFoundError } from '../../../lib/core/errors';
import type { ChunkStore } from '../../../lib/store/chunk-store';
import { checkBytes, checkDeepEqual, checkEqual, checkRejects } from '../assertions';
import { indexDigestOf, ingestImage, makeChunks, makeIndex } from '../store-fixtures';
import type { StoreCase } from './types';

const EMPTY_STATS = { chunkCount: 0, chunkBytes: 0, indexCount: 0, imageCount: 0 };

/**
 * Stores one image, then returns one named call per store method, each
 * passing `signal`.
 */
async function everyMethod(
  store: ChunkStore,
  signal: AbortSignal,
): Promise<[string, () => Promise<unknown>][]> {
  const [chunk] = await makeChunks([1]);
  const index = await makeIndex([chunk]);
  const indexDigest = await indexDigestOf(index);
  const { record } = await ingestImage(store, 'image-a', [[chunk]]);
  const options = { signal };
  return [
    ['has', () => store.has(chunk.digest, options)],
    ['get', () => store.get(chunk.digest, options)],
    ['putMany', () => store.putMany([chunk], options)],
    ['putIndex', () => store.putIndex(indexDigest, index, options)],
    ['getIndex', () => store.getIndex(indexDigest, options)],
    ['putImage', () => store.putImage(record, options)],
    ['getImage', () => store.getImage(record.key, options)],
    ['listImages', () => store.listImages(options)],
    ['deleteImage', () => store.deleteImage(record.key, options)],
    ['collectGarbage', () => store.collectGarbage(options)],
    ['clear', () => store.clear(options)],
    ['stats', () => store.stats(options)],
  ];
}

export const LIFECYCLE_CASES: StoreCase[] = [
  {
    group: 'clear',
    name: 'should delete every chunk, index and image',
    async run({ store }) {
      const [c1, c2] = await makeChunks([1, 2]);
      const { indexDigests } = await ingestImage(store, 'image-a', [[c1, c2]]);
      await store.clear();
      checkDeepEqual(await store.stats(), EMPTY_STATS, 'stats() after clear');
      checkEqual(await store.has(c1.digest), false, 'has(c1) after clear');
      await checkRejects(store.getIndex(indexDigests[0]), { type: NotFoundError }, 'getIndex after clear');
      checkDeepEqual(await store.listImages(), [], 'listImages() after clear');
      checkDeepEqual(await store.putMany([c1]), [true], 'putMany([c1]) after clear');
      checkBytes(await store.get(c1.digest), c1.bytes, 'get(c1) after clear');
    },
  },
  {
    group: 'stats',
    name: 'should count chunks, bytes, indexes and images',
    async run({ store }) {
      checkDeepEqual(await store.stats(), EMPTY_STATS, 'stats() of an empty store');
      const chunks = await makeChunks([1, 2, 3], 1000);
      await ingestImage(store, 'image-a', [chunks.slice(0, 2), chunks.slice(1)]);
      await ingestImage(store, 'image-b', [chunks.slice(0, 2)]);
      const expected = { chunkCount: 3, chunkBytes: 3000, indexCount: 2, imageCount: 2 };
      checkDeepEqual(await store.stats(), expected, 'stats() after two images');
      await store.putMany(chunks);
      checkDeepEqual(await store.stats(), expected, 'stats() after storing the chunks again');
    },
  },
  {
    group: 'abort',
    name: 'should reject every method with AbortError for an aborted signal',
    async run({ store }) {
      const controller = new AbortController();
      const calls = await everyMethod(store, controller.signal);
      const before = await store.stats();
      controller.abort(new Error('a reason that is not an AbortError'));
      for (const [method, call] of calls) {
        await checkRejects(call(), { type: DOMException, name: 'AbortError' }, method);
      }
      checkDeepEqual(await store.stats(), before, 'stats() after the aborted calls');
    },
  },
  {
    group: 'abort',
    name: 'should store nothing when putMany is aborted first',
    async run({ store }) {
      const chunks = await makeChunks([1, 2, 3]);
      const signal = AbortSignal.abort();
      await checkRejects(store.putMany(chunks, { signal }), { name: 'AbortError' }, 'putMany');
      for (const chunk of chunks) {
        checkEqual(await store.has(chunk.digest), false, `has(${chunk.digest})`);
      }
    },
  },
  {
    group: 'persistence',
    name: 'should keep chunks, indexes and images after reopening',
    async run(context) {
      const chunks = await makeChunks([1, 2, 3]);
      const stored = await ingestImage(context.store, 'image-a', [chunks]);
      const stats = await context.store.stats();
      const store = await context.reopen();
      for (const chunk of chunks) {
        checkBytes(await store.get(chunk.digest), chunk.bytes, `get(${chunk.digest}) after reopening`);
      }
      checkDeepEqual(await store.getIndex(stored.indexDigests[0]), await makeIndex(chunks), 'getIndex after reopening');
      checkDeepEqual(await store.getImage('image-a'), stored.record, 'getImage after reopening');
      checkDeepEqual(await store.stats(), stats, 'stats() after reopening');
      checkDeepEqual(await store.putMany(chunks), [false, false, false], 'putMany after reopening');
    },
  },
];
