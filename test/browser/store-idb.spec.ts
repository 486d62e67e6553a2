import { expect, test, type BundleWindow } from '../helpers/browser-bundle';
import { STORE_CASES } from '../store/chunk-store.cases';

type Entry = typeof import('../store/idb-page');

const PAGE_ENTRY = new URL('../store/idb-page.ts', import.meta.url);
const WORKER_ENTRY = new URL('../store/idb-worker.ts', import.meta.url);

test.beforeEach(async ({ page, serveBundle }) => {
  await page.goto(await serveBundle(PAGE_ENTRY));
});

test.describe('IDBChunkStore', () => {
  for (const group of new Set(STORE_CASES.map((c) => c.group))) {
    test.describe(group, () => {
      for (const storeCase of STORE_CASES.filter((c) => c.group === group)) {
        test(storeCase.name, async ({ page }) => {
          const names = { group, name: storeCase.name };
          await page.evaluate(async ({ group, name }) => {
            const entry = await (window as unknown as BundleWindow<Entry>).bundle;
            await entry.runCase(group, name);
          }, names);
        });
      }
    });
  }
});

test.describe('IDBChunkStore in Chromium', () => {
  test('should create the chunked-containers database with its object stores', async ({ page }) => {
    const { names, stores } = await page.evaluate(async () => {
      const entry = await (window as unknown as BundleWindow<Entry>).bundle;
      return entry.describeDefaultDatabase();
    });
    expect(names).toContain('chunked-containers');
    expect(stores.sort()).toEqual(['chunkSizes', 'chunks', 'images', 'indexes']);
  });

  test('should share chunks between a worker and the page', async ({ page, serveScript }) => {
    const workerURL = await serveScript(WORKER_ENTRY);
    const result = await page.evaluate(async (url) => {
      const entry = await (window as unknown as BundleWindow<Entry>).bundle;
      return entry.putFromWorkerAndPage(url);
    }, workerURL);
    expect(result.newCounts, 'times each chunk was flagged new').toEqual([1, 1, 1, 1, 1, 1, 1, 1]);
    expect(result.bytesMatch).toEqual(new Array(8).fill(true));
    expect(result.chunkCount).toBe(8);
  });

  test('should make collectGarbage wait for an ingest in a worker', async ({ page, serveScript }) => {
    const workerURL = await serveScript(WORKER_ENTRY);
    const result = await page.evaluate(async (url) => {
      const entry = await (window as unknown as BundleWindow<Entry>).bundle;
      return entry.collectGarbageDuringWorkerIngest(url);
    }, workerURL);
    expect(result.finishedBeforeCommit, 'sweep finished while the ingest held the lock').toBe(false);
    expect(result.deleted).toBe(0);
    expect(result.chunksKept).toEqual([true, true, true]);
    expect(result.imageKeys).toEqual(['image-w']);
  });

  for (const delayMs of [0, 30]) {
    test(`should store nothing from a putMany aborted after ${delayMs} ms`, async ({ page }) => {
      const result = await page.evaluate(async (delay) => {
        const entry = await (window as unknown as BundleWindow<Entry>).bundle;
        return entry.abortDuringPutMany(delay);
      }, delayMs);
      expect(result.errorName).toBe('AbortError');
      expect(result.chunkCount).toBe(0);
    });
  }

  test('should raise QuotaExceededError naming usage and quota', async ({ page }) => {
    const quotaSize = 4 * 1024 * 1024;
    const cdp = await page.context().newCDPSession(page);
    const origin = new URL(page.url()).origin;
    await cdp.send('Storage.overrideQuotaForOrigin', { origin, quotaSize });

    const result = await page.evaluate(async (batches) => {
      const entry = await (window as unknown as BundleWindow<Entry>).bundle;
      return entry.fillUntilQuotaExceeded(batches);
    }, 16);
    expect(result.error, 'error after filling a 4 MiB quota').toBeDefined();
    const error = result.error!;
    expect(error.name).toBe('QuotaExceededError');
    expect(error.code).toBe('QUOTA_EXCEEDED');
    // Chromium 156 enforces the overridden quota, but navigator.storage.estimate
    // still reports the disk-based quota, so only the usage is near 4 MiB.
    expect(error.quota).toBeGreaterThan(0);
    expect(error.usage).toBeGreaterThan(3 * 1024 * 1024);
    expect(error.message).toContain('storing 16 chunks (1048576 bytes): storage quota exceeded');
    expect(error.message).toContain(`${error.usage} of ${error.quota} bytes of the quota in use`);
    expect(error.message).toContain(`the chunk store holds ${error.storedBytes} bytes`);
    expect(error.storedBytes).toBe(result.batchesStored * 16 * 65536);
    expect(result.chunkBytesAfter, 'bytes stored after the failed batch').toBe(error.storedBytes);
  });

  test('should report a storage estimate and answer a persistence request', async ({ page }) => {
    const { estimate, persistent } = await page.evaluate(async () => {
      const entry = await (window as unknown as BundleWindow<Entry>).bundle;
      return entry.storageFigures();
    });
    expect(estimate?.quota).toBeGreaterThan(0);
    expect(estimate?.usage).toBeGreaterThanOrEqual(0);
    expect(typeof persistent).toBe('boolean');
  });
});
