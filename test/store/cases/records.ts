/** Conformance cases for layer indexes and image records. Browser-safe. */
import { InvalidInputError, NotFoundError } from '../../../lib/core/errors';
import { check, checkBytes, checkDeepEqual, checkEqual, checkRejects } from '../assertions';
import { indexDigestOf, makeChunks, makeImage, makeIndex } from '../store-fixtures';
import type { StoreCase } from './types';

/** Keys that a careless file naming would mix up or let escape its folder. */
const AWKWARD_KEYS = [
  'sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef@fixed-size:65536',
  'a/b',
  'a%2Fb',
  'a%2fb',
  '../../escape',
  '..',
  'A',
  'a',
  'café',
  'cafe\u0301',
  `${'k'.repeat(299)}1`,
  `${'k'.repeat(299)}2`,
];

export const RECORD_CASES: StoreCase[] = [
  {
    group: 'indexes',
    name: 'should round-trip a layer index',
    async run({ store }) {
      const index = await makeIndex(await makeChunks([1, 2, 3]));
      const indexDigest = await indexDigestOf(index);
      await store.putIndex(indexDigest, index);
      checkDeepEqual(await store.getIndex(indexDigest), index, 'getIndex');
    },
  },
  {
    group: 'indexes',
    name: 'should throw NotFoundError for a missing index',
    async run({ store }) {
      const indexDigest = await indexDigestOf(await makeIndex([]));
      const error = await checkRejects(
        store.getIndex(indexDigest),
        { type: NotFoundError, code: 'NOT_FOUND' },
        'getIndex(missing index)',
      );
      check(error.message.includes(indexDigest), `message ${error.message} names the digest`);
    },
  },
  {
    group: 'indexes',
    name: 'should keep the first index stored under a digest',
    async run({ store }) {
      const first = await makeIndex(await makeChunks([1]));
      const second = await makeIndex(await makeChunks([2]));
      const indexDigest = await indexDigestOf(first);
      await store.putIndex(indexDigest, first);
      await store.putIndex(indexDigest, second);
      checkDeepEqual(await store.getIndex(indexDigest), first, 'getIndex after a second putIndex');
      checkEqual((await store.stats()).indexCount, 1, 'stats().indexCount');
    },
  },
  {
    group: 'images',
    name: 'should round-trip an image record byte for byte',
    async run({ store }) {
      const record = await makeImage('image-a', []);
      await store.putImage(record);
      const got = await store.getImage('image-a');
      checkBytes(got.rawManifest, record.rawManifest, 'rawManifest');
      checkBytes(got.rawConfig, record.rawConfig, 'rawConfig');
      checkEqual(Object.getPrototypeOf(got.rawManifest), Uint8Array.prototype, 'rawManifest prototype');
      checkDeepEqual(got, record, 'getImage');
    },
  },
  {
    group: 'images',
    name: 'should throw NotFoundError for a missing image',
    async run({ store }) {
      const error = await checkRejects(
        store.getImage('missing'),
        { type: NotFoundError, code: 'NOT_FOUND' },
        'getImage(missing)',
      );
      check(error.message.includes('missing'), `message ${error.message} names the key`);
    },
  },
  {
    group: 'images',
    name: 'should reject an empty key with InvalidInputError',
    async run({ store }) {
      const expected = { type: InvalidInputError, code: 'INVALID_INPUT' };
      await checkRejects(store.putImage(await makeImage('', [])), expected, "putImage(key '')");
      await checkRejects(store.getImage(''), expected, "getImage('')");
      await checkRejects(store.deleteImage(''), expected, "deleteImage('')");
    },
  },
  {
    group: 'images',
    name: 'should list images in key order',
    async run({ store }) {
      checkDeepEqual(await store.listImages(), [], 'listImages() of an empty store');
      for (const key of ['b', 'c', 'a']) await store.putImage(await makeImage(key, []));
      const keys = (await store.listImages()).map((record) => record.key);
      checkDeepEqual(keys, ['a', 'b', 'c'], 'listImages() keys');
    },
  },
  {
    group: 'images',
    name: 'should replace the record stored under the same key',
    async run({ store }) {
      const record = await makeImage('image-a', []);
      await store.putImage(record);
      await store.putImage({ ...record, sourceName: 'again.tar', createdAt: 2 });
      const got = await store.getImage('image-a');
      checkEqual(got.sourceName, 'again.tar', 'sourceName');
      checkEqual(got.createdAt, 2, 'createdAt');
      checkEqual((await store.listImages()).length, 1, 'listImages().length');
    },
  },
  {
    group: 'images',
    name: 'should keep keys with slashes, dots, case and long names apart',
    async run({ store }) {
      for (const key of AWKWARD_KEYS) await store.putImage(await makeImage(key, []));
      for (const key of AWKWARD_KEYS) {
        checkEqual((await store.getImage(key)).key, key, `getImage(${JSON.stringify(key)}).key`);
      }
      const listed = (await store.listImages()).map((record) => record.key);
      checkDeepEqual(listed, [...AWKWARD_KEYS].sort(), 'listImages() keys');
      checkEqual((await store.stats()).imageCount, AWKWARD_KEYS.length, 'stats().imageCount');
    },
  },
];
