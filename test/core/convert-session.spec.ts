import { expect, test } from '@playwright/test';
import { estargzOptions } from '../../lib/core/convert/estargz';
import type { EStargzOptions } from '../../lib/core/layer-index';
import { buildEStargz } from '../../lib/browser/estargz-session';
import { imageFileStem } from '../../lib/core/convert/bundle';
import { SAMPLE, ingestedImage, localConvert } from './convert-fixtures';

const FAST: EStargzOptions = estargzOptions({ level: 1 });

test.describe('buildEStargz', () => {
  test('should store the build with the record, whatever the concurrency', async () => {
    const { store, record } = await ingestedImage(SAMPLE);
    const started: number[] = [];
    const sequential = await buildEStargz(record, {
      settings: FAST,
      store,
      convertLayer: localConvert(record, store, FAST),
      onLayerStart: (layerIndex) => started.push(layerIndex),
    });
    expect(started).toEqual([0, 1]);
    const stored = await store.getImage(record.key);
    expect(stored.estargz?.manifestDigest).toBe(sequential.record.estargz?.manifestDigest);
    expect(stored.estargz?.options).toEqual(FAST);
    expect(stored.estargz?.layers).toHaveLength(2);
    const before = await store.stats();

    const parallel = await buildEStargz(stored, {
      settings: FAST,
      store,
      concurrency: 2,
      convertLayer: localConvert(stored, store, FAST),
    });
    expect(parallel.record.estargz?.manifestDigest).toBe(sequential.record.estargz?.manifestDigest);
    expect(parallel.record.estargz?.layers.map((l) => l.digest)).toEqual(sequential.record.estargz?.layers.map((l) => l.digest));
    expect(await store.stats()).toEqual(before);
  });

  test('should leave no build and no chunks when cancelled', async () => {
    const { store, record } = await ingestedImage(SAMPLE);
    const before = await store.stats();
    const controller = new AbortController();
    const build = buildEStargz(record, {
      settings: FAST,
      store,
      signal: controller.signal,
      convertLayer: localConvert(record, store, FAST),
      // Layer 0 has stored its blob by then, so there is something to sweep.
      onLayerStart: (layerIndex) => layerIndex === 1 && controller.abort(),
    });
    await expect(build).rejects.toMatchObject({ name: 'AbortError' });
    expect((await store.getImage(record.key)).estargz).toBeUndefined();
    expect(await store.stats()).toEqual(before);
  });

  test('should keep the previous build when a rebuild is cancelled', async () => {
    const { store, record } = await ingestedImage(SAMPLE);
    const first = await buildEStargz(record, { settings: FAST, store, convertLayer: localConvert(record, store, FAST) });
    const before = await store.stats();
    const other = estargzOptions({ level: 2, chunkSize: 64 * 1024 });
    const controller = new AbortController();
    const build = buildEStargz(first.record, {
      settings: other,
      store,
      signal: controller.signal,
      convertLayer: localConvert(first.record, store, other),
      onLayerDone: () => controller.abort(),
    });
    await expect(build).rejects.toMatchObject({ name: 'AbortError' });
    expect((await store.getImage(record.key)).estargz).toEqual(first.record.estargz);
    expect(await store.stats()).toEqual(before);
  });

  test('should sweep the blobs of the build it replaces', async () => {
    const { store, record } = await ingestedImage(SAMPLE);
    const ingested = await store.stats();
    const first = await buildEStargz(record, { settings: FAST, store, convertLayer: localConvert(record, store, FAST) });
    const other = estargzOptions({ level: 2 });
    const second = await buildEStargz(first.record, {
      settings: other,
      store,
      convertLayer: localConvert(first.record, store, other),
    });
    const layers = second.record.estargz!.layers;
    expect(layers.map((l) => l.digest)).not.toEqual(first.record.estargz!.layers.map((l) => l.digest));
    const blobChunks = layers.reduce((sum, layer) => sum + layer.chunks.length, 0);
    const blobBytes = layers.reduce((sum, layer) => sum + layer.size, 0);
    const stats = await store.stats();
    expect(stats.chunkCount).toBe(ingested.chunkCount + blobChunks);
    expect(stats.chunkBytes).toBe(ingested.chunkBytes + blobBytes);
  });

  test('should report prioritized files that no layer has', async () => {
    const { store, record } = await ingestedImage(SAMPLE);
    const settings = estargzOptions({ level: 1, prioritizedFiles: ['etc/passwd', 'usr/share/zoneinfo/UTC', 'no/such'] });
    const built = await buildEStargz(record, { settings, store, convertLayer: localConvert(record, store, settings) });
    expect(built.missedPrioritizedFiles).toEqual(['no/such']);
    expect(built.record.estargz?.options.prioritizedFiles).toHaveLength(3);
  });

  test('should collect the chunks of a failed build', async () => {
    const { store, record } = await ingestedImage(SAMPLE);
    const before = await store.stats();
    const index = await store.getIndex(record.layers[1].indexDigest);
    store.data.chunks.delete(index.chunks[index.chunks.length - 1].digest);
    const build = buildEStargz(record, { settings: FAST, store, convertLayer: localConvert(record, store, FAST) });
    await expect(build).rejects.toMatchObject({ code: 'CHUNK_NOT_FOUND' });
    expect((await store.getImage(record.key)).estargz).toBeUndefined();
    expect((await store.stats()).chunkCount).toBe(before.chunkCount - 1);
  });
});

test.describe('imageFileStem', () => {
  test('should name files after the tag or archive', () => {
    const cases: [{ repoTags: string[]; sourceName: string }, string][] = [
      [{ repoTags: ['docker.io/chunked-containers/tiny-tools:latest'], sourceName: 'a.tar' }, 'chunked-containers_tiny-tools_latest'],
      [{ repoTags: ['busybox:1.36'], sourceName: 'a.tar' }, 'busybox_1.36'],
      [{ repoTags: [], sourceName: 'tiny.oci.tar' }, 'tiny'],
      [{ repoTags: [], sourceName: 'my image.docker.tar' }, 'my_image'],
    ];
    for (const [record, stem] of cases) expect(imageFileStem(record)).toBe(stem);
  });
});
