import { expect, test } from '@playwright/test';
import { mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { digestHex } from '../../lib/core/digest';
import type { ChunkStore } from '../../lib/store/chunk-store';
import { DEFAULT_STORE_ROOT, FsChunkStore } from '../../lib/store/fs-chunk-store';
import { imageFileName } from '../../lib/store/fs-files';
import { chunkStoreSuite } from './chunk-store.suite';
import { indexDigestOf, ingestImage, makeChunk, makeChunks } from './store-fixtures';

const roots = new WeakMap<ChunkStore, string>();

async function newRoot(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'fs-chunk-store-'));
}

chunkStoreSuite('FsChunkStore', {
  async setup() {
    const root = await newRoot();
    const store = new FsChunkStore({ root });
    roots.set(store, root);
    return store;
  },
  async reopen(store) {
    await store.close();
    const root = roots.get(store)!;
    const reopened = new FsChunkStore({ root });
    roots.set(reopened, root);
    return reopened;
  },
  async teardown(store) {
    await store.close();
    await rm(roots.get(store)!, { recursive: true, force: true });
  },
});

test.describe('FsChunkStore files', () => {
  let root: string;
  let store: FsChunkStore;

  test.beforeEach(async () => {
    root = await newRoot();
    store = new FsChunkStore({ root });
  });

  test.afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  test('should default to data/registry-data under the working directory', () => {
    expect(new FsChunkStore().root).toBe(resolve(process.cwd(), DEFAULT_STORE_ROOT));
  });

  test('should lay out chunks, indexes and images as files', async () => {
    const chunks = await makeChunks([1, 2]);
    const { record, indexDigests } = await ingestImage(store, 'sha256:abc@fixed-size:65536', [chunks]);

    const chunkFile = await readFile(join(root, 'chunks', digestHex(chunks[0].digest)));
    expect(new Uint8Array(chunkFile)).toEqual(chunks[0].bytes);
    const indexText = await readFile(join(root, 'indexes', `${digestHex(indexDigests[0])}.json`), 'utf8');
    expect(await indexDigestOf(JSON.parse(indexText))).toBe(indexDigests[0]);
    expect(await readdir(join(root, 'images'))).toEqual(['sha256%3Aabc%40fixed-size%3A65536.json']);
    const imageJSON = JSON.parse(await readFile(join(root, 'images', imageFileName(record.key)), 'utf8'));
    expect(Buffer.from(imageJSON.rawManifest, 'base64')).toEqual(Buffer.from(record.rawManifest));
    expect(Buffer.from(imageJSON.rawConfig, 'base64')).toEqual(Buffer.from(record.rawConfig));
  });

  test('should leave no temporary files after writing', async () => {
    await ingestImage(store, 'image-a', [await makeChunks([1, 2, 3])]);
    await store.putMany(await makeChunks([1, 2, 3]));
    expect(await readdir(join(root, 'tmp'))).toEqual([]);
  });

  test('should not see a partial file that a crashed writer left in tmp', async () => {
    const chunk = await makeChunk(1);
    await store.putMany([await makeChunk(2)]);
    const partial = join(root, 'tmp', `${digestHex(chunk.digest)}.0000.tmp`);
    await writeFile(partial, chunk.bytes.subarray(0, 10));

    expect(await store.has(chunk.digest)).toBe(false);
    expect((await store.stats()).chunkCount).toBe(1);
    expect(await store.putMany([chunk])).toEqual([true]);
    expect(new Uint8Array(await store.get(chunk.digest))).toEqual(chunk.bytes);
  });

  test('should delete stale temporary files and keep recent ones', async () => {
    await store.putMany([await makeChunk(1)]);
    const stale = join(root, 'tmp', 'stale.tmp');
    const recent = join(root, 'tmp', 'recent.tmp');
    await writeFile(stale, 'partial');
    await writeFile(recent, 'partial');
    const twoHoursAgo = new Date(Date.now() - 2 * 60 * 60 * 1000);
    await utimes(stale, twoHoursAgo, twoHoursAgo);

    await store.collectGarbage();
    expect(await readdir(join(root, 'tmp'))).toEqual(['recent.tmp']);
  });

  test('should never delete files outside the layout', async () => {
    await store.putMany([await makeChunk(1)]);
    await writeFile(join(root, 'chunks', 'README'), 'not a chunk');
    await writeFile(join(root, 'indexes', 'notes.txt'), 'not an index');
    await writeFile(join(root, 'keep.txt'), 'not in a store folder');

    expect(await store.collectGarbage()).toBe(1);
    await store.clear();
    expect((await readdir(join(root, 'chunks'))).sort()).toEqual(['README']);
    expect(await readdir(root)).toContain('keep.txt');
  });

  test('should keep image files inside images for keys with path characters', async () => {
    await ingestImage(store, '../../escape', []);
    await ingestImage(store, `${'x'.repeat(400)}`, []);
    expect(await readdir(root)).toEqual(expect.arrayContaining(['images']));
    const names = await readdir(join(root, 'images'));
    expect(names).toHaveLength(2);
    expect(names).toContain('..%2F..%2Fescape.json');
    expect(names.every((name) => name.length < 255)).toBe(true);
  });

  test('should flag a chunk new once across two stores on one root', async () => {
    const other = new FsChunkStore({ root });
    const chunks = await makeChunks([1, 2, 3, 4, 5, 6]);
    const [mine, theirs] = await Promise.all([store.putMany(chunks), other.putMany(chunks)]);
    for (let i = 0; i < chunks.length; i++) {
      expect(Number(mine[i]) + Number(theirs[i]), `chunk ${i} flagged new`).toBe(1);
    }
  });

  test('should write and read back with durable writes', async () => {
    const durable = new FsChunkStore({ root, durable: true });
    const chunk = await makeChunk(1, 70000);
    expect(await durable.putMany([chunk])).toEqual([true]);
    const { record } = await ingestImage(durable, 'image-a', [[chunk]]);
    expect(new Uint8Array(await store.get(chunk.digest))).toEqual(chunk.bytes);
    expect((await store.getImage('image-a')).rawConfig).toEqual(record.rawConfig);
  });

  test('should reject an image file that is not JSON, naming the file', async () => {
    await ingestImage(store, 'image-a', []);
    await writeFile(join(root, 'images', 'image-a.json'), '{"key": "image-a", ');
    await expect(store.getImage('image-a')).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringContaining('image-a.json'),
    });
  });
});
