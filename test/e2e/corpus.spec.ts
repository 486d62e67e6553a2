import { expect, test } from '@playwright/test';
import type { Browser, CDPSession } from '@playwright/test';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IngestReport } from '../../lib/core/ingest/summary';
import { runCli } from '../helpers/cli';
import { smallLayer, writeDockerSave } from '../fixtures/ingest/archives';
import type { EntrySpec } from '../fixtures/ingest/archives';
import { IMAGE_ARCHIVES, repoPath } from '../fixtures/ingest/ingest-run';

/** Returns the fields that must agree between the page and the command line, leaving out timing. */
function comparable(report: IngestReport) {
  const { seconds: _seconds, ...rest } = report;
  return rest;
}

async function cliReports(path: string): Promise<IngestReport[]> {
  const store = await mkdtemp(join(tmpdir(), 'cc-e2e-corpus-'));
  try {
    const run = await runCli(['chunk', '--image', path, '--store', store, '--json']);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const parsed = JSON.parse(run.stdout) as IngestReport | IngestReport[];
    return Array.isArray(parsed) ? parsed : [parsed];
  } finally {
    await rm(store, { recursive: true, force: true });
  }
}

let work: string;

test.beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'cc-e2e-corpus-archives-'));
  // Legacy docker save with a gzip layer: the page builds the manifest after reading it.
  await writeDockerSave(join(work, 'generated-legacy-gzip.tar'), [
    { repoTag: 'generated/legacy:1', layers: [smallLayer(1), smallLayer(2, 'gzip')] },
  ]);
});

test.afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

test.describe('import page on the corpus', () => {
  const archives = [...IMAGE_ARCHIVES, 'generated-legacy-gzip.tar'];
  for (const relative of archives) {
    const name = relative.slice(relative.lastIndexOf('/') + 1);
    test(`should import ${name} like the command line`, async ({ page }) => {
      const path = relative.includes('/') ? repoPath(relative) : join(work, relative);
      const expected = await cliReports(path);

      await page.goto('/');
      await page.getByLabel('Image archive').setInputFiles(path);
      await expect(page.getByText(new RegExp(`(archive|layout) with ${expected.length} images?$`))).toBeVisible();
      await page.getByRole('button', { name: 'Start' }).click();
      await expect(page.getByText(`Imported ${expected.length} image`)).toBeVisible();
      // Next.js keeps a route announcer with role=alert on every page, so look for the import's own.
      await expect(page.getByRole('alert').filter({ hasText: "Couldn't" })).toHaveCount(0);

      const summaries = page.getByTestId('import-summary');
      await expect(summaries).toHaveCount(expected.length);
      const reports: IngestReport[] = [];
      for (let i = 0; i < expected.length; i++) {
        reports.push(JSON.parse((await summaries.nth(i).getAttribute('data-report'))!) as IngestReport);
      }
      expect(reports.map(comparable)).toEqual(expected.map(comparable));
      for (const [i, report] of expected.entries()) {
        await expect(summaries.nth(i).getByText(report.manifestDigest)).toBeVisible();
      }

      await page.goto('/library');
      await expect(page.getByRole('table', { name: 'Stored images' }).getByRole('row')).toHaveCount(expected.length + 1);
      const chunks = expected.reduce((sum, report) => sum + report.chunksCreated, 0);
      const indexes = expected.reduce((sum, report) => sum + report.indexesCreated, 0);
      await expect(page.getByLabel('Storage')).toContainText(`${chunks} distinct chunks`);
      await expect(page.getByLabel('Storage')).toContainText(`${indexes} layer indexes, ${expected.length} image records`);
    });
  }
});

/** Heap figures of one Chromium target, from the DevTools protocol's Runtime.getHeapUsage. */
interface HeapUsage {
  usedSize: number;
  embedderHeapUsedSize?: number;
  /** Bytes of ArrayBuffer backing stores, which hold chunk and piece bytes outside the JS heap. */
  backingStorageSize?: number;
}

/**
 * Talks to every dedicated worker of the browser through a browser-level
 * DevTools session, as Playwright's own sessions reach pages only.
 */
class WorkerProbe {
  private nextId = 0;
  private readonly replies = new Map<number, (result: unknown) => void>();
  readonly sessions: string[] = [];

  constructor(private readonly cdp: CDPSession) {
    cdp.on('Target.receivedMessageFromTarget', (event: { message: string }) => {
      const message = JSON.parse(event.message) as { id?: number; result?: unknown };
      if (message.id !== undefined) this.replies.get(message.id)?.(message.result);
    });
    cdp.on('Target.targetCreated', (event: { targetInfo: { type: string; targetId: string } }) => {
      if (event.targetInfo.type !== 'worker') return;
      void cdp
        .send('Target.attachToTarget', { targetId: event.targetInfo.targetId, flatten: false })
        .then(({ sessionId }) => this.sessions.push(sessionId), () => undefined);
    });
  }

  static async start(browser: Browser): Promise<WorkerProbe> {
    const probe = new WorkerProbe(await browser.newBrowserCDPSession());
    await probe.cdp.send('Target.setDiscoverTargets', { discover: true });
    return probe;
  }

  /** Sends one protocol command to a worker and resolves undefined when the worker has gone. */
  call<T>(sessionId: string, method: string): Promise<T | undefined> {
    const id = ++this.nextId;
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(undefined), 2_000);
      this.replies.set(id, (result) => {
        clearTimeout(timer);
        this.replies.delete(id);
        resolve(result as T);
      });
      this.cdp
        .send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id, method, params: {} }) })
        .catch(() => resolve(undefined));
    });
  }

  async heapBytes(sessionId: string): Promise<number | undefined> {
    const usage = await this.call<HeapUsage>(sessionId, 'Runtime.getHeapUsage');
    if (!usage) return undefined;
    return usage.usedSize + (usage.embedderHeapUsedSize ?? 0) + (usage.backingStorageSize ?? 0);
  }
}

test.describe('import page memory', () => {
  const MIB = 1 << 20;
  /** Largest heap plus ArrayBuffer bytes one import worker may hold while it ingests a 300 MiB layer. */
  const WORKER_BOUND_BYTES = 64 * MIB;

  test('should keep an import worker bounded on a 300 MiB layer', async ({ page, browser }) => {
    test.setTimeout(300_000);
    const entries: EntrySpec[] = [{ type: 'dir', path: 'data/' }];
    for (let i = 0; i < 10; i++) {
      entries.push({ type: 'file', path: `data/random-${i}.bin`, size: 20 * MIB + i, content: { random: 900 + i } });
      entries.push({ type: 'file', path: `data/repeat-${i}.txt`, size: 10 * MIB + i, content: 'repeat' });
    }
    const written = await writeDockerSave(join(work, 'large-300.tar'), [{ repoTag: 'large/memory:1', layers: [{ entries }] }]);
    const probe = await WorkerProbe.start(browser);

    await page.goto('/');
    await page.getByLabel('Image archive').setInputFiles(written.path);
    await expect(page.getByText('docker save archive with 1 image')).toBeVisible();
    await page.getByRole('button', { name: 'Start' }).click();

    let peak = 0;
    let samples = 0;
    let running = true;
    const sampling = (async () => {
      while (running) {
        for (const session of probe.sessions) {
          let bytes = await probe.heapBytes(session);
          // Released pieces linger until V8 collects them, so only bytes still live after a collection count.
          if (bytes !== undefined && bytes >= WORKER_BOUND_BYTES) {
            await probe.call(session, 'HeapProfiler.collectGarbage');
            bytes = await probe.heapBytes(session);
          }
          if (bytes === undefined) continue;
          samples++;
          peak = Math.max(peak, bytes);
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
    try {
      await expect(page.getByText('Imported 1 image')).toBeVisible({ timeout: 240_000 });
    } finally {
      running = false;
      await sampling;
    }
    const report = JSON.parse((await page.getByTestId('import-summary').getAttribute('data-report'))!) as IngestReport;
    test.info().annotations.push({
      type: 'memory',
      description: `worker peak ${(peak / MIB).toFixed(1)} MiB over ${samples} samples, ${report.layers[0].chunkCount} chunks in ${report.seconds.toFixed(1)} s`,
    });
    expect(report.layers[0].uncompressedSize).toBe(written.images[0].layers[0].uncompressedSize);
    expect(probe.sessions.length).toBeGreaterThan(0);
    expect(samples).toBeGreaterThan(20);
    expect(peak).toBeLessThan(WORKER_BOUND_BYTES);
    await rm(written.path);
  });
});
