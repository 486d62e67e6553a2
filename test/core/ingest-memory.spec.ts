import { expect, test } from '@playwright/test';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { openImageArchive } from '../../lib/core/archive/open';
import type { StrategyParams } from '../../lib/core/chunk/strategy';
import { openFileSource } from '../../lib/node/file-source';
import { FsChunkStore } from '../../lib/store/fs-chunk-store';
import { writeDockerSave } from '../fixtures/ingest/archives';
import type { EntrySpec, LayerSpec } from '../fixtures/ingest/archives';
import { ingestArchive } from '../fixtures/ingest/ingest-run';

const MIB = 1 << 20;
/** Peak growth of heapUsed + arrayBuffers allowed while a layer of hundreds of MiB is ingested. */
const MEMORY_BOUND_BYTES = 64 * MIB;
const SAMPLE_INTERVAL_MS = 20;

// A full collection before the baseline keeps earlier garbage out of the figure.
setFlagsFromString('--expose-gc');
const collect = runInNewContext('gc') as () => void;

/** `files` pairs of a pseudo-random and a repetitive file, `mib` MiB per pair. */
function mixedLayer(files: number, mib: number, compression: LayerSpec['compression']): LayerSpec {
  const entries: EntrySpec[] = [{ type: 'dir', path: 'data/' }];
  for (let i = 0; i < files; i++) {
    const randomBytes = Math.round((mib * MIB * 2) / 3) + i * 777;
    entries.push({ type: 'file', path: `data/random-${i}.bin`, size: randomBytes, content: { random: i } });
    entries.push({ type: 'file', path: `data/repeat-${i}.txt`, size: mib * MIB - randomBytes, content: 'repeat' });
  }
  return { entries, compression };
}

/**
 * Returns the peak growth of heapUsed + arrayBuffers over the baseline while
 * `run` runs. Chunk copies and inflated pieces that the ingest has released
 * linger until V8 collects them, which adds tens of MiB of noise. So a sample
 * above `bound` is taken again right after a full collection, and only memory
 * still live then counts against the bound.
 */
async function peakGrowth(run: () => Promise<void>, bound: number): Promise<number> {
  collect();
  const base = process.memoryUsage();
  const baseline = base.heapUsed + base.arrayBuffers;
  const growth = () => {
    const now = process.memoryUsage();
    return now.heapUsed + now.arrayBuffers - baseline;
  };
  let peak = 0;
  const sample = () => {
    let value = growth();
    if (value >= bound) {
      collect();
      value = growth();
    }
    peak = Math.max(peak, value);
  };
  const timer = setInterval(sample, SAMPLE_INTERVAL_MS);
  try {
    await run();
  } finally {
    clearInterval(timer);
  }
  return peak;
}

test.describe('ingest memory', () => {
  test.describe.configure({ mode: 'serial', timeout: 300_000 });

  let work: string;
  test.beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'ingest-memory-'));
  });
  test.afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  const cases: { title: string; layer: LayerSpec; strategy: StrategyParams }[] = [
    {
      title: 'should stay bounded on a 300 MiB uncompressed layer',
      layer: mixedLayer(10, 30, 'none'),
      strategy: { name: 'fixed-size', chunkSize: 64 * 1024 },
    },
    {
      title: 'should stay bounded on a 240 MiB gzip layer with content-defined chunks',
      layer: mixedLayer(8, 30, 'gzip'),
      strategy: { name: 'content-defined', min: 16 * 1024, avg: 64 * 1024, max: 256 * 1024 },
    },
  ];
  for (const [i, c] of cases.entries()) {
    test(c.title, async ({}, testInfo) => {
      const written = await writeDockerSave(join(work, `large-${i}.tar`), [{ repoTag: 'large:1', layers: [c.layer] }]);
      const layerSize = written.images[0].layers[0].uncompressedSize;
      const store = new FsChunkStore({ root: join(work, `store-${i}`) });
      let chunkCount = 0;
      let storedSize = 0;
      const peak = await peakGrowth(async () => {
        const [result] = await ingestArchive(written.path, store, { strategy: c.strategy, filesystem: true });
        chunkCount = result.record.layers[0].chunkCount;
        storedSize = result.record.layers[0].size;
      }, MEMORY_BOUND_BYTES);
      testInfo.annotations.push({
        type: 'memory',
        description: `peak growth ${(peak / MIB).toFixed(1)} MiB for a ${(layerSize / MIB).toFixed(0)} MiB layer, ${chunkCount} chunks`,
      });
      expect(storedSize).toBe(layerSize);
      expect(chunkCount).toBeGreaterThan(1000);
      expect(peak, `peak growth ${(peak / MIB).toFixed(1)} MiB`).toBeLessThan(MEMORY_BOUND_BYTES);
      await rm(written.path);
    });
  }

  test('should report a layer held in memory as over the bound', async () => {
    const written = await writeDockerSave(join(work, 'held.tar'), [
      { repoTag: 'held:1', layers: [mixedLayer(4, 32, 'none')] },
    ]);
    const source = await openFileSource(written.path);
    try {
      const image = await (await openImageArchive(source)).loadImage(0);
      const held: Uint8Array[] = [];
      const peak = await peakGrowth(async () => {
        // What an ingest that buffered the layer would do.
        for await (const piece of image.layers[0].open()) held.push(piece);
      }, MEMORY_BOUND_BYTES);
      expect(held.length).toBeGreaterThan(100);
      expect(peak).toBeGreaterThan(MEMORY_BOUND_BYTES);
    } finally {
      await source.close();
    }
  });
});
