import { expect, test } from '@playwright/test';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { IngestReport } from '../../lib/core/ingest/summary';
import { runCli } from '../helpers/cli';

const SAMPLE = 'tiny-tools.docker.tar';
const SAMPLE_PATH = fileURLToPath(new URL(`../../public/samples/${SAMPLE}`, import.meta.url));

/** The fields that must agree between the page and the command line. */
function comparable(report: IngestReport) {
  return {
    manifestDigest: report.manifestDigest,
    configDigest: report.configDigest,
    configSize: report.configSize,
    architecture: report.architecture,
    os: report.os,
    schemaVersion: report.schemaVersion,
    layers: report.layers,
    chunksCreated: report.chunksCreated,
    chunksDeduplicated: report.chunksDeduplicated,
    bytesStored: report.bytesStored,
    indexesCreated: report.indexesCreated,
  };
}

test.describe('import page', () => {
  test('should chunk a sample like the command line and keep it across reloads', async ({ page }) => {
    const store = await mkdtemp(join(tmpdir(), 'cc-e2e-'));
    try {
      const cli = await runCli(['chunk', '--image', SAMPLE_PATH, '--store', store, '--json']);
      expect(cli.stderr).toBe('');
      expect(cli.status).toBe(0);
      const cliReport = JSON.parse(cli.stdout) as IngestReport;

      await page.goto('/');
      await page.getByRole('button', { name: 'tiny-tools (docker save)' }).click();
      await expect(page.getByText('docker save archive with 1 image')).toBeVisible();
      await page.getByRole('button', { name: 'Start' }).click();
      const summary = page.getByTestId('import-summary');
      await expect(summary).toBeVisible();
      await expect(page.getByRole('progressbar')).toHaveCount(cliReport.layers.length);
      const pageReport = JSON.parse((await summary.getAttribute('data-report'))!) as IngestReport;
      expect(comparable(pageReport)).toEqual(comparable(cliReport));
      await expect(summary.getByText(cliReport.manifestDigest)).toBeVisible();

      await page.reload();
      await page.getByRole('link', { name: 'Library' }).click();
      const row = page.getByRole('row', { name: /tiny-tools/ });
      await expect(row).toHaveCount(1);
      await row.getByRole('link').first().click();
      await expect(page.getByRole('heading', { name: /tiny-tools/ })).toBeVisible();
      await expect(page.getByRole('table', { name: 'Layers' }).getByRole('row')).toHaveCount(cliReport.layers.length + 1);

      await page.getByRole('tab', { name: 'Files', exact: true }).click();
      await page.getByRole('searchbox').fill('bin/busybox');
      await expect(page.getByRole('table', { name: 'Files of layer 1' })).toContainText('bin/busybox');

      await page.getByRole('tab', { name: 'Merged filesystem' }).click();
      await expect(page.getByRole('table', { name: 'Merged filesystem' })).toBeVisible();

      await page.goto('/library');
      await page.getByRole('button', { name: /^Delete / }).click();
      await expect(page.getByText('No images yet.')).toBeVisible();
      await expect(page.getByLabel('Storage')).toContainText('0 distinct chunks');
    } finally {
      await rm(store, { recursive: true, force: true });
    }
  });
});
