import { expect, test } from '@playwright/test';
import { copyFile, mkdtemp, rm, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readMemberTable } from '../../lib/core/archive/members';
import { openImageArchive } from '../../lib/core/archive/open';
import type { StrategyParams } from '../../lib/core/chunk/strategy';
import {
  CodedError,
  DigestMismatchError,
  InvalidInputError,
  InvalidTarError,
  NotFoundError,
} from '../../lib/core/errors';
import type { IngestImageResult } from '../../lib/core/ingest/image';
import type { ImageRecord } from '../../lib/core/layer-index';
import { openFileSource } from '../../lib/node/file-source';
import type { ChunkStore } from '../../lib/store/chunk-store';
import { FsChunkStore } from '../../lib/store/fs-chunk-store';
import { MemoryChunkStore } from '../../lib/store/memory-chunk-store';
import { contentPieces, flipByte, smallLayer, writeDockerSave } from '../fixtures/ingest/archives';
import type { LayerSpec, WrittenArchive } from '../fixtures/ingest/archives';
import {
  EMPTY_STATS,
  IMAGE_ARCHIVES,
  expectFileBoundaries,
  expectLosslessImage,
  expectLosslessIndex,
  ingestArchive,
  repoPath,
} from '../fixtures/ingest/ingest-run';

const KIB = 1024;
const CHUNK_SIZE = 16 * KIB;

/** Small sizes, so that the corpus layers are cut into many chunks. */
const STRATEGIES: StrategyParams[] = [
  { name: 'fixed-size', chunkSize: CHUNK_SIZE },
  { name: 'file-boundary', chunkSize: CHUNK_SIZE },
  { name: 'content-defined', min: 2 * KIB, avg: 8 * KIB, max: 32 * KIB },
];

interface OpenedStore {
  store: ChunkStore;
  dispose(): Promise<void>;
}

const STORE_KINDS: { name: string; open(): Promise<OpenedStore> }[] = [
  {
    name: 'MemoryChunkStore',
    async open() {
      return { store: new MemoryChunkStore(), dispose: async () => undefined };
    },
  },
  {
    name: 'FsChunkStore',
    async open() {
      const root = await mkdtemp(join(tmpdir(), 'ingest-invariants-store-'));
      return { store: new FsChunkStore({ root }), dispose: () => rm(root, { recursive: true, force: true }) };
    },
  },
];

/** File sizes around the tar block and the chunk size. */
function boundaryLayer(compression: LayerSpec['compression']): LayerSpec {
  const sizes = [1, 511, 512, 513, CHUNK_SIZE - 1, CHUNK_SIZE, CHUNK_SIZE + 1, 3 * CHUNK_SIZE];
  return {
    compression,
    entries: [
      { type: 'dir', path: 'sizes/' },
      ...sizes.map((size, i) => ({
        type: 'file' as const,
        path: `sizes/file-${size}`,
        size,
        content: i % 2 === 0 ? { random: 100 + i } : ('repeat' as const),
      })),
    ],
  };
}

/** Returns a layer with one file of `mib` MiB, which the ingest reads in several pieces. */
function largeLayer(seed: number, mib: number): LayerSpec {
  return {
    entries: [{ type: 'file', path: `large-${seed}.bin`, size: mib << 20, content: { random: seed } }],
  };
}

let work: string;
let generated: WrittenArchive;

test.beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'ingest-invariants-'));
  // Legacy docker save with gzip layers: the manifest is built after reading.
  generated = await writeDockerSave(join(work, 'generated.tar'), [
    { repoTag: 'generated/a:1', layers: [smallLayer(1), boundaryLayer('gzip')] },
    { repoTag: 'generated/b:1', layers: [smallLayer(1), smallLayer(3, 'gzip')] },
  ]);
});

test.afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

function archivePaths(): string[] {
  return [...IMAGE_ARCHIVES.map(repoPath), generated.path];
}

async function recordsOf(store: ChunkStore, results: IngestImageResult[]): Promise<ImageRecord[]> {
  return Promise.all(results.map((result) => store.getImage(result.record.key)));
}

/** Copies `from` to the work folder under `name` and returns the new path. */
async function copyArchive(from: string, name: string): Promise<string> {
  const path = join(work, name);
  await copyFile(from, path);
  return path;
}

/** Runs an ingest that must fail, then collects garbage as the command line and the page do. */
async function failingIngest(
  path: string,
  store: ChunkStore,
  options: Parameters<typeof ingestArchive>[2],
): Promise<unknown> {
  const error = await ingestArchive(path, store, options).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error, `ingest of ${path} should fail`).toBeDefined();
  await store.collectGarbage();
  return error;
}

const FIXED: StrategyParams = { name: 'fixed-size', chunkSize: 64 * KIB };

for (const kind of STORE_KINDS) {
  test.describe(`ingest lossless with ${kind.name}`, () => {
    let opened: OpenedStore;
    test.beforeEach(async () => {
      opened = await kind.open();
    });
    test.afterEach(async () => {
      await opened.dispose();
    });

    for (const relative of [...IMAGE_ARCHIVES, 'generated.tar']) {
      const name = relative.slice(relative.lastIndexOf('/') + 1);
      test(`should give back every layer of ${name}`, async () => {
        const path = archivePaths().find((p) => p.endsWith(`/${name}`))!;
        const { store } = opened;
        let filesChecked = 0;
        for (const strategy of STRATEGIES) {
          for (const filesystem of [true, false]) {
            const results = await ingestArchive(path, store, { strategy, filesystem });
            expect(results.length).toBeGreaterThan(0);
            for (const record of await recordsOf(store, results)) {
              const indexes = await expectLosslessImage(store, record);
              if (strategy.name !== 'file-boundary' || !filesystem) continue;
              for (const [i, index] of indexes.entries()) {
                filesChecked += expectFileBoundaries(index, CHUNK_SIZE, `${name} layer ${i}`);
              }
            }
          }
        }
        expect(filesChecked, 'regular files checked for file-boundary cuts').toBeGreaterThan(0);
      });
    }
  });
}

test.describe('ingest file-boundary offsets', () => {
  test('should place each generated file at its dataOffset', async () => {
    const store = new MemoryChunkStore();
    const [a] = await ingestArchive(generated.path, store, {
      strategy: { name: 'file-boundary', chunkSize: CHUNK_SIZE },
      filesystem: true,
    });
    const spec = boundaryLayer('gzip');
    const layer = a.record.layers[1];
    const index = await store.getIndex(layer.indexDigest);
    const tar = (await expectLosslessIndex(store, index, layer.diffID, 'boundary layer', true))!;
    for (const file of spec.entries) {
      if (file.type !== 'file') continue;
      const entry = index.entries!.find((e) => e.path === file.path);
      expect(entry, file.path).toBeDefined();
      expect(entry!.size).toBe(file.size);
      const expected = Buffer.concat([...contentPieces(file.content, file.size)]);
      const actual = tar.subarray(entry!.dataOffset, entry!.dataOffset + entry!.size);
      expect(Buffer.compare(actual, expected), `content of ${file.path}`).toBe(0);
    }
  });
});

for (const kind of STORE_KINDS) {
  test.describe(`ingest idempotence with ${kind.name}`, () => {
    let opened: OpenedStore;
    test.beforeEach(async () => {
      opened = await kind.open();
    });
    test.afterEach(async () => {
      await opened.dispose();
    });

    const cases = [
      'public/samples/tiny-tools.docker.tar',
      'public/samples/tiny-tools-v2.oci.tar',
      'test/fixtures/archives/go-containerregistry/test_link.tar',
      'generated.tar',
    ];
    for (const relative of cases) {
      const name = relative.slice(relative.lastIndexOf('/') + 1);
      test(`should store nothing new when ${name} is ingested again`, async () => {
        const path = archivePaths().find((p) => p.endsWith(`/${name}`))!;
        const { store } = opened;
        for (const strategy of STRATEGIES) {
          const first = await ingestArchive(path, store, { strategy, filesystem: true, now: () => 1_000 });
          const firstRecords = await recordsOf(store, first);
          const before = await store.stats();
          const second = await ingestArchive(path, store, { strategy, filesystem: true, now: () => 2_000 });
          expect(await store.stats()).toEqual(before);

          expect(second).toHaveLength(first.length);
          for (const [i, result] of second.entries()) {
            const chunkCount = result.record.layers.reduce((sum, layer) => sum + layer.chunkCount, 0);
            expect(result.chunksNew, `${name} image ${i}: chunks created`).toBe(0);
            expect(result.bytesNew, `${name} image ${i}: bytes stored`).toBe(0);
            expect(result.indexesNew, `${name} image ${i}: indexes created`).toBe(0);
            expect(result.chunksDeduplicated, `${name} image ${i}: chunks deduplicated`).toBe(chunkCount);
            expect(result.layers.map((l) => l.indexDigest)).toEqual(first[i].layers.map((l) => l.indexDigest));
          }
          const secondRecords = await recordsOf(store, second);
          for (const [i, record] of secondRecords.entries()) {
            expect(record.createdAt).toBe(2_000);
            const { createdAt: _a, seconds: _b, ...rest } = record;
            const { createdAt: _c, seconds: _d, ...earlier } = firstRecords[i];
            expect(rest).toEqual(earlier);
          }
        }
      });
    }

    test('should count an index shared by two images once', async () => {
      const { store } = opened;
      const path = repoPath('test/fixtures/archives/go-containerregistry/test_link.tar');
      const results = await ingestArchive(path, store, { strategy: FIXED, filesystem: true });
      const stats = await store.stats();
      const created = results.reduce((sum, result) => sum + result.indexesNew, 0);
      expect(created).toBe(stats.indexCount);
      expect(results.map((result) => result.indexesNew)).toEqual([1, 1]);
    });

    test('should count chunks and indexes of a shared base layer as deduplicated', async () => {
      const { store } = opened;
      const [a, b] = await ingestArchive(generated.path, store, { strategy: FIXED, filesystem: true });
      expect(b.layers[0].indexDigest).toBe(a.layers[0].indexDigest);
      expect(b.layers[0].chunksNew).toBe(0);
      expect(b.layers[0].chunksDeduplicated).toBe(a.layers[0].chunkCount);
      expect(b.indexesNew).toBe(1);
      const stats = await store.stats();
      expect(stats.indexCount).toBe(a.indexesNew + b.indexesNew);
      expect(stats.chunkCount).toBe(a.chunksNew + b.chunksNew);
      expect(stats.chunkBytes).toBe(a.bytesNew + b.bytesNew);
    });
  });
}

for (const kind of STORE_KINDS) {
  test.describe(`ingest atomicity with ${kind.name}`, () => {
    let opened: OpenedStore;
    test.beforeEach(async () => {
      opened = await kind.open();
    });
    test.afterEach(async () => {
      await opened.dispose();
    });

    async function expectNoImages(store: ChunkStore): Promise<void> {
      expect(await store.listImages()).toEqual([]);
    }

    test('should reject a layer whose content does not match its diffID', async () => {
      const { store } = opened;
      const written = await writeDockerSave(join(work, `diffid-${kind.name}.tar`), [
        { repoTag: 'broken:1', layers: [smallLayer(11), smallLayer(12, 'gzip'), smallLayer(13)] },
      ]);
      const last = written.images[0].layers[2];
      // Inside the content of etc/seed-13.txt, after the dir header and the file header.
      await flipByte(written.path, last.dataOffset + 1024 + 100);
      for (const filesystem of [true, false]) {
        const error = await failingIngest(written.path, store, { strategy: FIXED, filesystem });
        expect(error).toBeInstanceOf(DigestMismatchError);
        expect((error as CodedError).code).toBe('DIGEST_MISMATCH');
        expect((error as Error).message).toContain(`layer 2 (${last.member})`);
        expect((error as DigestMismatchError).expected).toBe(last.diffID);
        await expectNoImages(store);
        expect(await store.stats()).toEqual(EMPTY_STATS);
      }
    });

    test('should reject a corrupted file in a real docker save layer', async () => {
      const { store } = opened;
      const path = await copyArchive(repoPath('test/fixtures/archives/debian-tiny/tiny.docker.tar'), `tiny-${kind.name}.tar`);
      const source = await openFileSource(path);
      const archive = await openImageArchive(source);
      const image = await archive.loadImage(0);
      const table = await readMemberTable(source);
      const blob = table.resolve(image.layers[0].member)!;
      await source.close();
      // 64 KiB into the layer lies inside busybox, the first large file.
      await flipByte(path, blob.dataOffset + 64 * KIB);
      const error = await failingIngest(path, store, { strategy: FIXED, filesystem: true });
      expect(error).toBeInstanceOf(DigestMismatchError);
      expect((error as Error).message).toContain(`layer 0 (${image.layers[0].member})`);
      await expectNoImages(store);
      expect(await store.stats()).toEqual(EMPTY_STATS);
    });

    test('should reject a gzip layer whose blob digest does not match', async () => {
      const { store } = opened;
      const path = await copyArchive(repoPath('test/fixtures/archives/debian-tiny/tiny.oci.tar'), `tiny-oci-${kind.name}.tar`);
      const source = await openFileSource(path);
      const image = await (await openImageArchive(source)).loadImage(0);
      const blob = (await readMemberTable(source)).resolve(image.layers[0].member)!;
      await source.close();
      await flipByte(path, blob.dataOffset + Math.floor(blob.size * 0.3));
      const error = await failingIngest(path, store, { strategy: FIXED, filesystem: true });
      expect(error).toBeInstanceOf(DigestMismatchError);
      expect((error as Error).message).toContain(`layer 0 (${image.layers[0].member})`);
      expect((error as DigestMismatchError).expected).toBe(image.layers[0].digest);
      await expectNoImages(store);
      expect(await store.stats()).toEqual(EMPTY_STATS);
    });

    test('should reject a truncated archive before storing anything', async () => {
      const { store } = opened;
      const path = await copyArchive(generated.path, `truncated-${kind.name}.tar`);
      const cut = generated.images[0].layers[1];
      await truncate(path, cut.dataOffset + 1000);
      const error = await failingIngest(path, store, { strategy: FIXED, filesystem: true });
      expect(error).toBeInstanceOf(InvalidTarError);
      expect((error as CodedError).code).toBe('TAR_INVALID');
      expect((error as Error).message).toContain(cut.member);
      await expectNoImages(store);
      expect(await store.stats()).toEqual(EMPTY_STATS);
    });

    test('should reject a layer blob cut short', async () => {
      const { store } = opened;
      const cases: { layer: LayerSpec; filesystem: boolean; error: abstract new (...args: never[]) => CodedError; code: string }[] = [
        { layer: { ...smallLayer(22, 'gzip'), truncateTo: 60_000 }, filesystem: true, error: InvalidInputError, code: 'INVALID_INPUT' },
        { layer: { ...smallLayer(23), truncateTo: 60_000 }, filesystem: true, error: InvalidTarError, code: 'TAR_INVALID' },
        { layer: { ...smallLayer(23), truncateTo: 60_000 }, filesystem: false, error: DigestMismatchError, code: 'DIGEST_MISMATCH' },
      ];
      for (const [i, c] of cases.entries()) {
        const written = await writeDockerSave(join(work, `cut-${kind.name}-${i}.tar`), [
          { repoTag: 'cut:1', layers: [smallLayer(21), c.layer] },
        ]);
        const error = await failingIngest(written.path, store, { strategy: FIXED, filesystem: c.filesystem });
        expect(error, `case ${i}`).toBeInstanceOf(c.error);
        expect((error as CodedError).code, `case ${i}`).toBe(c.code);
        expect((error as Error).message, `case ${i}`).toContain(`layer 1 (${written.images[0].layers[1].member})`);
        await expectNoImages(store);
        expect(await store.stats(), `case ${i}`).toEqual(EMPTY_STATS);
      }
    });

    test('should leave nothing behind when aborted mid-layer', async () => {
      const { store } = opened;
      const written = await writeDockerSave(join(work, `abort-${kind.name}.tar`), [
        { repoTag: 'abort:1', layers: [smallLayer(31), largeLayer(32, 6)] },
      ]);
      const controller = new AbortController();
      let stored = 0;
      const error = await ingestArchive(written.path, store, {
        strategy: FIXED,
        filesystem: true,
        signal: controller.signal,
        onProgress: (progress) => {
          if (progress.layerIndex === 1 && progress.uncompressedBytes >= 2 << 20) controller.abort();
        },
      }).then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(DOMException);
      expect((error as DOMException).name).toBe('AbortError');
      stored = (await store.stats()).chunkCount;
      // Layer 0 and part of layer 1 were stored before the abort.
      expect(stored).toBeGreaterThan(0);
      await expectNoImages(store);
      await store.collectGarbage();
      expect(await store.stats()).toEqual(EMPTY_STATS);
    });

    test('should keep an image stored earlier whole when one sharing its base fails', async () => {
      const { store } = opened;
      const good = await writeDockerSave(join(work, `good-${kind.name}.tar`), [
        { repoTag: 'good:1', layers: [smallLayer(41), boundaryLayer('gzip')] },
      ]);
      const bad = await writeDockerSave(join(work, `bad-${kind.name}.tar`), [
        { repoTag: 'bad:1', layers: [smallLayer(41), smallLayer(42), smallLayer(43)] },
      ]);
      await flipByte(bad.path, bad.images[0].layers[2].dataOffset + 1024 + 100);

      const [first] = await ingestArchive(good.path, store, { strategy: FIXED, filesystem: true });
      const before = await store.stats();
      const error = await failingIngest(bad.path, store, { strategy: FIXED, filesystem: true });
      expect(error).toBeInstanceOf(DigestMismatchError);
      expect(await store.stats()).toEqual(before);
      const records = await store.listImages();
      expect(records.map((record) => record.key)).toEqual([first.record.key]);
      await expectLosslessImage(store, records[0]);
    });

    test('should wait for every layer before it rejects', async () => {
      const delayMs = 300;
      const store = lateWrites(opened.store, delayMs);
      const written = await writeDockerSave(join(work, `parallel-${kind.name}.tar`), [
        { repoTag: 'parallel:1', layers: [smallLayer(51), largeLayer(52, 12)] },
      ]);
      await flipByte(written.path, written.images[0].layers[0].dataOffset + 1024 + 100);
      const error = await ingestArchive(written.path, store, { strategy: FIXED, filesystem: true, concurrency: 2 }).then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(DigestMismatchError);
      await opened.store.collectGarbage();
      // A layer still writing after the ingest rejected would land now.
      await new Promise((resolve) => setTimeout(resolve, 2 * delayMs));
      expect(await opened.store.stats()).toEqual(EMPTY_STATS);
    });

    test('should throw NotFoundError for the record of a failed image', async () => {
      const { store } = opened;
      const written = await writeDockerSave(join(work, `record-${kind.name}.tar`), [
        { repoTag: 'record:1', layers: [smallLayer(61)] },
      ]);
      await flipByte(written.path, written.images[0].layers[0].dataOffset + 1024 + 100);
      const source = await openFileSource(written.path);
      const image = await (await openImageArchive(source)).loadImage(0);
      await source.close();
      await failingIngest(written.path, store, { strategy: FIXED, filesystem: true });
      const key = `${image.manifestDigest}@fixed-size:65536`;
      await expect(store.getImage(key)).rejects.toBeInstanceOf(NotFoundError);
    });
  });
}

/**
 * Returns `store` with chunk writes that land `delayMs` late and ignore the
 * abort signal, like an IndexedDB transaction that is already committing.
 */
function lateWrites(store: ChunkStore, delayMs: number): ChunkStore {
  return new Proxy(store, {
    get(target, property) {
      if (property === 'putMany') {
        return async (chunks: Parameters<ChunkStore['putMany']>[0]) => {
          await new Promise((resolve) => setTimeout(resolve, delayMs));
          return target.putMany(chunks);
        };
      }
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
