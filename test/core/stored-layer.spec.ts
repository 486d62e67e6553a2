import { expect, test } from '@playwright/test';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { openImageArchive } from '../../lib/core/archive/open';
import { collectBytes } from '../../lib/core/bytes';
import { parseStrategy } from '../../lib/core/chunk/params';
import type { StrategyParams } from '../../lib/core/chunk/strategy';
import {
  ChunkNotFoundError,
  DigestMismatchError,
  NotFoundError,
  SizeMismatchError,
  UnsupportedError,
} from '../../lib/core/errors';
import { ingestImage } from '../../lib/core/ingest/image';
import type { IngestImageResult } from '../../lib/core/ingest/image';
import { imageKey } from '../../lib/core/ingest/image-key';
import {
  recordedLayer,
  reindexImage,
  storedImage,
  storedLayer,
} from '../../lib/core/ingest/stored-layer';
import type { ImageRecord, LayerIndex } from '../../lib/core/layer-index';
import { MemoryChunkStore } from '../../lib/store/memory-chunk-store';
import { openFileSource } from '../../lib/node/file-source';

const SAMPLES = ['tiny-tools.docker.tar', 'tiny-tools-v2.oci.tar'].map((file) =>
  fileURLToPath(new URL(`../../public/samples/${file}`, import.meta.url)),
);
const FIXED_64K = parseStrategy('fixed-size:64KiB');
const CDC_64K = parseStrategy('content-defined:16KiB,64KiB,256KiB');
const FILE_BOUNDARY = parseStrategy('file-boundary:64KiB');

/** Ingests the first image of an archive straight from the file. */
async function ingestSample(
  path: string,
  strategy: StrategyParams,
  store: MemoryChunkStore,
): Promise<IngestImageResult> {
  const source = await openFileSource(path);
  try {
    const archive = await openImageArchive(source);
    const image = await archive.loadImage(0);
    return await ingestImage(image, source.name, { strategy, filesystem: true, store, now: () => 1 });
  } finally {
    await source.close();
  }
}

function indexesOf(store: MemoryChunkStore, record: ImageRecord): Promise<LayerIndex[]> {
  return Promise.all(record.layers.map((layer) => store.getIndex(layer.indexDigest)));
}

function sha256(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** Replaces the stored bytes of a layer's first chunk. */
function damageFirstChunk(store: MemoryChunkStore, index: LayerIndex, bytes: Uint8Array): void {
  store.data.chunks.set(index.chunks[0].digest, bytes);
}

test.describe('storedLayer', () => {
  test('should stream bytes that match the diffID', async () => {
    const store = new MemoryChunkStore();
    const { record } = await ingestSample(SAMPLES[0], FIXED_64K, store);
    const indexes = await indexesOf(store, record);
    for (const [i, index] of indexes.entries()) {
      const layer = storedLayer(index, store, i);
      expect(layer.compression).toBe('none');
      expect(layer.digest).toBe(index.diffID);
      expect(layer.size).toBe(index.size);
      const bytes = await collectBytes(layer.open());
      expect(bytes.length).toBe(index.size);
      expect(sha256(bytes)).toBe(index.diffID);
    }
  });

  test('should reject a chunk of another size', async () => {
    const store = new MemoryChunkStore();
    const { record } = await ingestSample(SAMPLES[0], FIXED_64K, store);
    const [index] = await indexesOf(store, record);
    damageFirstChunk(store, index, new Uint8Array(index.chunks[0].size - 1));
    const error = await collectBytes(storedLayer(index, store, 0).open()).catch((e) => e);
    expect(error).toBeInstanceOf(SizeMismatchError);
    expect(error.message).toContain(`chunk ${index.chunks[0].digest} at offset 0`);
  });

  test('should reject changed content when verifying', async () => {
    const store = new MemoryChunkStore();
    const { record } = await ingestSample(SAMPLES[0], FIXED_64K, store);
    const [index] = await indexesOf(store, record);
    damageFirstChunk(store, index, new Uint8Array(index.chunks[0].size));
    const error = await collectBytes(storedLayer(index, store, 0).open()).catch((e) => e);
    expect(error).toBeInstanceOf(DigestMismatchError);
    expect(error.expected).toBe(index.diffID);
  });

  test('should raise ChunkNotFoundError for a missing chunk', async () => {
    const store = new MemoryChunkStore();
    const { record } = await ingestSample(SAMPLES[0], FIXED_64K, store);
    const [index] = await indexesOf(store, record);
    store.data.chunks.delete(index.chunks[1].digest);
    const error = await collectBytes(storedLayer(index, store, 0).open()).catch((e) => e);
    expect(error).toBeInstanceOf(ChunkNotFoundError);
    expect(error.digest).toBe(index.chunks[1].digest);
  });
});

test.describe('recordedLayer', () => {
  test('should describe the blob as stored and refuse to open it', async () => {
    const store = new MemoryChunkStore();
    const { record } = await ingestSample(SAMPLES[1], FIXED_64K, store);
    const summary = record.layers[0];
    const layer = recordedLayer(summary, 0);
    expect(layer.digest).toBe(summary.layerDigest);
    expect(layer.mediaType).toBe(summary.mediaType);
    expect(layer.size).toBe(summary.compressedSize);
    expect(layer.compression).toBe('gzip');
    expect(() => layer.open()).toThrow(UnsupportedError);
  });
});

test.describe('reindexImage', () => {
  for (const strategy of [CDC_64K, FILE_BOUNDARY]) {
    test(`should match a direct ingest with ${strategy.name}`, async () => {
      for (const path of SAMPLES) {
        const direct = new MemoryChunkStore();
        const expected = await ingestSample(path, strategy, direct);

        const store = new MemoryChunkStore();
        const { record: source } = await ingestSample(path, FIXED_64K, store);
        const result = await reindexImage(source, strategy, true, store, { now: () => 1 });

        expect(result.record).toEqual(expected.record);
        expect(await store.getImage(expected.record.key)).toEqual(expected.record);
        expect(await indexesOf(store, result.record)).toEqual(await indexesOf(direct, expected.record));
        expect(result.record.rawManifest).toEqual(source.rawManifest);
        expect(result.record.rawConfig).toEqual(source.rawConfig);
      }
    });
  }

  test('should keep layer digest, media type and compressed size', async () => {
    const store = new MemoryChunkStore();
    const { record: source } = await ingestSample(SAMPLES[1], FIXED_64K, store);
    const { record } = await reindexImage(source, CDC_64K, true, store);
    expect(record.key).toBe(imageKey(source.manifestDigest, CDC_64K, true));
    const sourceIndexes = await indexesOf(store, source);
    const indexes = await indexesOf(store, record);
    indexes.forEach((index, i) => {
      expect(index.layerDigest).toBe(sourceIndexes[i].layerDigest);
      expect(index.mediaType).toBe(sourceIndexes[i].mediaType);
      expect(index.compressedSize).toBe(sourceIndexes[i].compressedSize);
      expect(index.diffID).toBe(sourceIndexes[i].diffID);
      expect(index.strategy).toEqual(CDC_64K);
    });
  });

  test('should store nothing new when run again', async () => {
    const store = new MemoryChunkStore();
    const { record: source } = await ingestSample(SAMPLES[0], FIXED_64K, store);
    const first = await reindexImage(source, CDC_64K, true, store);
    expect(first.chunksNew).toBeGreaterThan(0);
    const chunkCount = store.data.chunks.size;
    const again = await reindexImage(first.record, CDC_64K, true, store);
    expect(again.chunksNew).toBe(0);
    expect(again.indexesNew).toBe(0);
    expect(store.data.chunks.size).toBe(chunkCount);
  });

  test('should record the seconds by the given clock', async () => {
    const store = new MemoryChunkStore();
    const { record: source } = await ingestSample(SAMPLES[0], FIXED_64K, store);
    let now = 1000;
    const { record } = await reindexImage(source, CDC_64K, true, store, {
      clock: () => (now += 250),
    });
    expect(record.seconds).toBe(0.25);
    expect((await store.getImage(record.key)).seconds).toBe(0.25);
  });

  test('should commit no record when a chunk changed', async () => {
    const store = new MemoryChunkStore();
    const { record: source } = await ingestSample(SAMPLES[0], FIXED_64K, store);
    const [index] = await indexesOf(store, source);
    damageFirstChunk(store, index, new Uint8Array(index.chunks[0].size));
    const error = await reindexImage(source, CDC_64K, true, store).catch((e) => e);
    expect(error).toBeInstanceOf(DigestMismatchError);
    expect(error.message).toContain("does not match the config's diffID");
    const key = imageKey(source.manifestDigest, CDC_64K, true);
    await expect(store.getImage(key)).rejects.toBeInstanceOf(NotFoundError);
  });

  test('should stop with AbortError when cancelled', async () => {
    const store = new MemoryChunkStore();
    const { record: source } = await ingestSample(SAMPLES[0], FIXED_64K, store);
    const controller = new AbortController();
    controller.abort();
    const error = await reindexImage(source, CDC_64K, true, store, {
      signal: controller.signal,
    }).catch((e) => e);
    expect(error.name).toBe('AbortError');
  });

  test('should rebuild the image from its record', async () => {
    const store = new MemoryChunkStore();
    const { record } = await ingestSample(SAMPLES[1], FIXED_64K, store);
    const image = storedImage(record);
    expect(image.manifestDigest).toBe(record.manifestDigest);
    expect(image.config.rootfs.diff_ids).toEqual(record.layers.map((l) => l.diffID));
    expect(image.layers.map((l) => l.digest)).toEqual(record.layers.map((l) => l.layerDigest));
  });
});
