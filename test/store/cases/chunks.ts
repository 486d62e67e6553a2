/** Conformance cases for has, get and putMany. Browser-safe. */
import type { Digest } from '../../../lib/core/digest';
import { ChunkNotFoundError, InvalidInputError } from '../../../lib/core/errors';
import { sha256 } from '../../../lib/core/sha256';
import { check, checkBytes, checkDeepEqual, checkEqual, checkRejects } from '../assertions';
import { makeChunk, makeChunks, pseudoRandomBytes } from '../store-fixtures';
import type { StoreCase } from './types';

const INVALID_DIGESTS = [
  'sha256:../../etc/passwd',
  `sha256:${'A'.repeat(64)}`,
  `sha512:${'0'.repeat(128)}`,
  '0'.repeat(64),
  '',
];

export const CHUNK_CASES: StoreCase[] = [
  {
    group: 'has',
    name: 'should return false for a missing chunk',
    async run({ store }) {
      const chunk = await makeChunk(1);
      checkEqual(await store.has(chunk.digest), false, 'has(missing chunk)');
    },
  },
  {
    group: 'has',
    name: 'should return true after putMany',
    async run({ store }) {
      const chunk = await makeChunk(1);
      await store.putMany([chunk]);
      checkEqual(await store.has(chunk.digest), true, 'has(stored chunk)');
    },
  },
  {
    group: 'digests',
    name: 'should reject invalid digests with InvalidInputError',
    async run({ store }) {
      const bytes = new Uint8Array(1);
      for (const digest of INVALID_DIGESTS as Digest[]) {
        const expected = { type: InvalidInputError, code: 'INVALID_INPUT' };
        await checkRejects(store.has(digest), expected, `has(${digest})`);
        await checkRejects(store.get(digest), expected, `get(${digest})`);
        await checkRejects(store.putMany([{ digest, bytes }]), expected, `putMany(${digest})`);
        await checkRejects(store.getIndex(digest), expected, `getIndex(${digest})`);
      }
    },
  },
  {
    group: 'get',
    name: 'should return the stored bytes for sizes 0, 1 and 64 KiB',
    async run({ store }) {
      const chunks = [
        await makeChunk(1, 0),
        await makeChunk(2, 1),
        await makeChunk(3, 65536),
      ];
      await store.putMany(chunks);
      for (const chunk of chunks) {
        checkBytes(await store.get(chunk.digest), chunk.bytes, `get(${chunk.bytes.length}-byte chunk)`);
      }
    },
  },
  {
    group: 'get',
    name: 'should throw ChunkNotFoundError for a missing chunk',
    async run({ store }) {
      const chunk = await makeChunk(1);
      const error = await checkRejects(
        store.get(chunk.digest),
        { type: ChunkNotFoundError, name: 'ChunkNotFoundError', code: 'CHUNK_NOT_FOUND' },
        'get(missing chunk)',
      );
      checkEqual((error as ChunkNotFoundError).digest, chunk.digest, 'error.digest');
      check(error.message.includes(chunk.digest), `message ${error.message} names the digest`);
    },
  },
  {
    group: 'get',
    name: 'should return a chunk stored from a view in a buffer of its own size',
    async run({ store }) {
      const piece = pseudoRandomBytes(7, 1 << 20);
      const view = piece.subarray(4096, 4096 + 1000);
      const digest = await sha256(view);
      await store.putMany([{ digest, bytes: view }]);
      const got = await store.get(digest);
      checkBytes(got, view, 'get(chunk stored from a view)');
      checkEqual(got.buffer.byteLength, 1000, 'byteLength of the returned buffer');
      checkEqual((await store.stats()).chunkBytes, 1000, 'stats().chunkBytes');
    },
  },
  {
    group: 'putMany',
    name: 'should flag new chunks true and stored chunks false',
    async run({ store }) {
      const [a, b, c] = await makeChunks([1, 2, 3]);
      checkDeepEqual(await store.putMany([a, b]), [true, true], 'putMany([a, b])');
      checkDeepEqual(await store.putMany([b, c, a]), [false, true, false], 'putMany([b, c, a])');
      checkEqual((await store.stats()).chunkCount, 3, 'stats().chunkCount');
    },
  },
  {
    group: 'putMany',
    name: 'should flag a digest repeated in one batch as new once',
    async run({ store }) {
      const [a, b] = await makeChunks([1, 2]);
      const flags = await store.putMany([a, b, a, a]);
      checkDeepEqual(flags, [true, true, false, false], 'putMany([a, b, a, a])');
      const stats = await store.stats();
      checkEqual(stats.chunkCount, 2, 'stats().chunkCount');
      checkEqual(stats.chunkBytes, a.bytes.length + b.bytes.length, 'stats().chunkBytes');
    },
  },
  {
    group: 'putMany',
    name: 'should flag each chunk new once across concurrent calls',
    async run({ store }) {
      const chunks = await makeChunks([1, 2, 3, 4, 5, 6, 7, 8]);
      const batches = await Promise.all([
        store.putMany(chunks),
        store.putMany([...chunks].reverse()),
        store.putMany(chunks.slice(2, 6)),
      ]);
      const newCount = new Map<string, number>();
      const order = [chunks, [...chunks].reverse(), chunks.slice(2, 6)];
      batches.forEach((flags, batch) =>
        flags.forEach((isNew, i) => {
          const digest = order[batch][i].digest;
          newCount.set(digest, (newCount.get(digest) ?? 0) + (isNew ? 1 : 0));
        }),
      );
      for (const chunk of chunks) {
        checkEqual(newCount.get(chunk.digest), 1, `times ${chunk.digest} was flagged new`);
      }
      checkEqual((await store.stats()).chunkCount, chunks.length, 'stats().chunkCount');
    },
  },
  {
    group: 'putMany',
    name: 'should return an empty list for an empty batch',
    async run({ store }) {
      checkDeepEqual(await store.putMany([]), [], 'putMany([])');
      checkEqual((await store.stats()).chunkCount, 0, 'stats().chunkCount');
    },
  },
  {
    group: 'putMany',
    name: 'should keep the stored bytes when the caller reuses its buffer',
    async run({ store }) {
      const chunk = await makeChunk(1);
      const buffer = chunk.bytes.slice();
      await store.putMany([{ digest: chunk.digest, bytes: buffer }]);
      buffer.fill(0);
      checkBytes(await store.get(chunk.digest), chunk.bytes, 'get after the caller zeroed its buffer');
      const got = await store.get(chunk.digest);
      got.fill(1);
      checkBytes(await store.get(chunk.digest), chunk.bytes, 'get after the caller changed a returned chunk');
    },
  },
];
