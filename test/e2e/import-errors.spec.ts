import { expect, test } from '@playwright/test';
import type { Page } from '@playwright/test';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { flipByte, smallLayer, writeDockerSave } from '../fixtures/ingest/archives';
import type { WrittenArchive } from '../fixtures/ingest/archives';
import { repoPath } from '../fixtures/ingest/ingest-run';

const SAMPLE = repoPath('public/samples/tiny-tools.docker.tar');
const GCR = 'test/fixtures/archives/go-containerregistry';
const STATS = /\d+ distinct chunks, .+ of chunk data, \d+ layer indexes, \d+ image records/;

let work: string;
let corrupt: WrittenArchive;
let large: WrittenArchive;
let notTar: string;

test.beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'cc-e2e-errors-'));
  corrupt = await writeDockerSave(join(work, 'corrupt-layer.tar'), [
    { repoTag: 'corrupt/layer:1', layers: [smallLayer(1), smallLayer(2)] },
  ]);
  // Inside the content of the second layer's first file, so only the diffID check fails.
  await flipByte(corrupt.path, corrupt.images[0].layers[1].dataOffset + 1024 + 100);
  const MIB = 1 << 20;
  large = await writeDockerSave(join(work, 'large.tar'), [
    {
      repoTag: 'large/cancel:1',
      layers: [0, 1].map((seed) => ({
        entries: [{ type: 'file' as const, path: `data-${seed}.bin`, size: 48 * MIB, content: { random: 700 + seed } }],
      })),
    },
  ]);
  notTar = join(work, 'notes.tar');
  await writeFile(notTar, 'these are notes, not an image archive\n'.repeat(40));
});

test.afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** Returns the import's own error alert, because Next.js also keeps a route announcer with role=alert on every page. */
function importAlert(page: Page) {
  return page.getByRole('alert').filter({ hasText: "Couldn't" });
}

/** Returns the Storage line's counts on the library page. */
async function libraryState(page: Page): Promise<{ stats: string; rows: number }> {
  await page.goto('/library');
  const storage = page.getByLabel('Storage');
  await expect(storage).toContainText(STATS);
  const stats = STATS.exec((await storage.textContent()) ?? '')![0];
  const table = page.getByRole('table', { name: 'Stored images' });
  const rows = (await table.count()) === 0 ? 0 : (await table.getByRole('row').count()) - 1;
  return { stats, rows };
}

async function chooseFile(page: Page, path: string): Promise<void> {
  await page.goto('/');
  await page.getByLabel('Image archive').setInputFiles(path);
}

test.describe('import page errors', () => {
  test('should show a clear error for each bad archive and keep the library', async ({ page }) => {
    await chooseFile(page, SAMPLE);
    await page.getByRole('button', { name: 'Start' }).click();
    await expect(page.getByText('Imported 1 image')).toBeVisible();
    const before = await libraryState(page);
    expect(before.rows).toBe(1);

    const unreadable: [string, string][] = [
      [repoPath(`${GCR}/no_manifest.tar`), "Couldn't read no_manifest.tar: neither manifest.json (docker save) nor index.json (OCI image layout) is in the archive"],
      [repoPath(`${GCR}/null_manifest.tar`), "Couldn't read null_manifest.tar: manifest.json: expected a JSON array of images, got null"],
      [notTar, "Couldn't read notes.tar: not a tar archive (no tar header at offset 0)"],
    ];
    for (const [path, message] of unreadable) {
      await chooseFile(page, path);
      await expect(importAlert(page)).toContainText(message);
      await expect(page.getByRole('button', { name: 'Start' })).toHaveCount(0);
    }

    await chooseFile(page, corrupt.path);
    await expect(page.getByText('docker save archive with 1 image')).toBeVisible();
    await page.getByRole('button', { name: 'Start' }).click();
    const bad = corrupt.images[0].layers[1];
    await expect(importAlert(page)).toContainText(
      `Couldn't import corrupt-layer.tar: layer 1 (${bad.member}): uncompressed content does not match the config's diffID: expected ${bad.diffID}`,
    );
    await expect(page.getByText(/^Imported \d+ image/)).toHaveCount(0);

    expect(await libraryState(page)).toEqual(before);
  });

  test('should keep nothing of an import that is cancelled', async ({ page }) => {
    const empty = await libraryState(page);
    expect(empty).toEqual({ stats: '0 distinct chunks, 0 B of chunk data, 0 layer indexes, 0 image records', rows: 0 });

    await chooseFile(page, large.path);
    await expect(page.getByText('docker save archive with 1 image')).toBeVisible();
    await page.getByRole('button', { name: 'Start' }).click();
    // Chunks are in IndexedDB once a layer reports new ones.
    await expect(page.getByLabel('Layer progress')).toContainText(/[1-9]\d* new,/);
    await page.getByRole('button', { name: 'Cancel' }).click();
    await expect(page.getByText('Import cancelled; nothing of it was kept.')).toBeVisible();
    await expect(importAlert(page)).toHaveCount(0);
    await expect(page.getByText(/^Imported \d+ image/)).toHaveCount(0);

    expect(await libraryState(page)).toEqual(empty);
    await expect(page.getByText('No images yet.')).toBeVisible();
  });
});
