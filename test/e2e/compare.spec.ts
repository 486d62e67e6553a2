import { expect, test } from '@playwright/test';
import type { Locator, Page } from '@playwright/test';
import { fileURLToPath } from 'node:url';
import { ByteWriter, crc32, toBase64URL } from '../../lib/core/compare/link-bytes';
import type { Comparison, ImageFigures, StrategyComparison } from '../../lib/core/compare/types';
import { formatBytes } from '../../lib/core/format';
import { FORMAT_VERSION, FRAGMENT_PREFIX } from '../../lib/core/share-link';
import { runCli } from '../helpers/cli';

const [V1, V2] = ['tiny-tools.docker.tar', 'tiny-tools-v2.oci.tar'].map((file) =>
  fileURLToPath(new URL(`../../public/samples/${file}`, import.meta.url)),
);
const FIXED_64K = 'fixed-size:64KiB';
const CDC_64K = 'content-defined:16KiB,64KiB,256KiB';

/** Image figures without the measured times and, optionally, the name. */
function untimedImage(figures: ImageFigures, keepName = true) {
  const { seconds, bytesPerSecond, imageName, ...rest } = figures;
  return keepName ? { imageName, ...rest } : rest;
}

/** Returns a comparison without the measured times, to set the page beside the command line. */
function untimed(comparison: Comparison, keepNames = true) {
  return {
    images: keepNames ? comparison.images : comparison.images.length,
    strategies: comparison.strategies.map((strategy: StrategyComparison) => {
      const { seconds, bytesPerSecond, ...totals } = strategy.totals;
      return {
        label: strategy.label,
        strategy: strategy.strategy,
        updateCosts: strategy.updateCosts,
        totals,
        images: strategy.images.map((figures) => untimedImage(figures, keepNames)),
      };
    }),
  };
}

async function readComparison(root: Locator): Promise<Comparison> {
  const text = await root.getAttribute('data-comparison');
  expect(text).not.toBeNull();
  return JSON.parse(text!) as Comparison;
}

async function importSample(page: Page, button: string, archiveText: string): Promise<void> {
  await page.goto('/');
  await page.getByRole('button', { name: button }).click();
  await expect(page.getByText(archiveText)).toBeVisible();
  await page.getByRole('button', { name: 'Start' }).click();
  await expect(page.getByText('Imported 1 image.')).toBeVisible();
}

function strategyOf(comparison: Comparison, label: string): StrategyComparison {
  const strategy = comparison.strategies.find((s) => s.label === label);
  expect(strategy, `strategy ${label}`).toBeDefined();
  return strategy!;
}

/** Returns a share-link fragment of another format version with a valid checksum. */
function newerVersionFragment(): string {
  const out = new ByteWriter();
  out.byte(FORMAT_VERSION + 1);
  out.varint(0);
  const unsigned = out.finish();
  const checksum = crc32(unsigned);
  const bytes = new Uint8Array(unsigned.length + 4);
  bytes.set(unsigned);
  new DataView(bytes.buffer).setUint32(unsigned.length, checksum);
  return FRAGMENT_PREFIX + toBase64URL(bytes);
}

test.describe('compare page', () => {
  test('should match the command line and share', async ({ page, browser }) => {
    test.setTimeout(300_000);
    const cli = await runCli(['compare', '--image', V1, '--image', V2, '--json']);
    expect(cli.stderr).toBe('');
    expect(cli.status).toBe(0);
    const expected = (JSON.parse(cli.stdout) as { comparison: Comparison }).comparison;

    await importSample(page, 'tiny-tools (docker save)', 'docker save archive with 1 image');
    await importSample(page, 'tiny-tools v2 (OCI archive)', 'OCI image layout with 1 image');

    await page.getByRole('link', { name: 'Compare' }).click();
    const images = page.getByRole('list', { name: 'Stored images' }).getByRole('checkbox');
    await expect(images).toHaveCount(2);
    for (const box of await images.all()) await expect(box).toBeChecked();
    const strategies = page.getByRole('list', { name: 'Strategies' }).getByRole('checkbox');
    await expect(strategies).toHaveCount(expected.strategies.length);
    await page.getByRole('button', { name: 'Run' }).click();
    const results = page.getByTestId('comparison');
    await expect(results).toBeVisible({ timeout: 120_000 });
    const pairs = 2 * expected.strategies.length;
    await expect(page.getByText(`Progress: ${pairs} of ${pairs} image and strategy pairs ready`)).toBeVisible();
    await page.getByText('Progress:').click();
    await expect(page.getByRole('progressbar')).toHaveCount(pairs);

    // The figures behind the page equal the command line's, times aside.
    const comparison = await readComparison(results);
    expect(untimed(comparison)).toEqual(untimed(expected));
    for (const strategy of comparison.strategies) {
      for (const figures of strategy.images) {
        if (strategy.label !== FIXED_64K) expect(figures.seconds).toBeGreaterThan(0);
      }
    }

    // The table shows them as the command line formats them.
    const table = page.getByRole('table', { name: 'Figures per strategy and image' });
    const fixedV1 = strategyOf(expected, FIXED_64K).images[0];
    // Image cells show a short name and carry the full one as their tooltip.
    const row = table
      .getByRole('row')
      .filter({ hasText: FIXED_64K })
      .filter({ has: page.locator(`td[data-column="image"][title="${fixedV1.imageName}"]`) });
    await expect(row.locator('[data-column="image"]')).toHaveText('tiny-tools:latest');
    await expect(row.locator('[data-column="chunks"]')).toHaveText(String(fixedV1.chunkCount));
    await expect(row.locator('[data-column="stored"]')).toHaveText(formatBytes(fixedV1.storedBytes));
    await expect(row.locator('[data-column="dedup"]')).toHaveText(fixedV1.dedupRatio.toFixed(2));
    await expect(row.locator('[data-column="shared"]')).toHaveText(formatBytes(fixedV1.sharedBytes));
    await expect(table.getByRole('row')).toHaveCount(1 + pairs);

    // Content-defined cuts follow content, so v2's changed files cost less to fetch.
    const cdcCost = strategyOf(comparison, CDC_64K).updateCosts![0][1];
    const fixedCost = strategyOf(comparison, FIXED_64K).updateCosts![0][1];
    expect(cdcCost).toBeLessThan(fixedCost);
    const costs = page.getByRole('table', { name: 'Update costs' });
    await expect(costs.locator(`tbody:has-text("${CDC_64K}") [data-from="0"][data-to="1"]`)).toHaveText(
      formatBytes(cdcCost),
    );

    // Sorting by a column marks its header and orders the rows.
    const chunksHeader = table.getByRole('columnheader', { name: 'Chunks' });
    await chunksHeader.getByRole('button').click();
    await expect(chunksHeader).toHaveAttribute('aria-sort', 'ascending');
    const counts = comparison.strategies.flatMap((s) => s.images.map((f) => f.chunkCount));
    await expect(table.locator('tbody tr').first().locator('[data-column="chunks"]')).toHaveText(
      String(Math.min(...counts)),
    );
    await chunksHeader.getByRole('button').click();
    await expect(chunksHeader).toHaveAttribute('aria-sort', 'descending');
    await expect(table.locator('tbody tr').first().locator('[data-column="chunks"]')).toHaveText(
      String(Math.max(...counts)),
    );
    await expect(table.getByRole('columnheader', { name: 'Stored' })).toHaveAttribute('aria-sort', 'none');

    await expect(page.getByRole('img', { name: `Chunk-size histogram of ${CDC_64K}` })).toBeVisible();
    await expect(page.getByRole('img', { name: 'Stored bytes per strategy' })).toBeVisible();

    // Share without names, then open the link where nothing is stored.
    await page.getByRole('button', { name: 'Copy share link' }).click();
    const url = await page.getByRole('textbox', { name: 'Share link' }).inputValue();
    expect(url).toMatch(/\/compare\/shared#cmp=[A-Za-z0-9_-]+$/);
    expect(url).not.toContain('tiny-tools');
    await expect(page.getByTestId('share-omitted')).toHaveCount(0);

    const fresh = await browser.newContext();
    try {
      const shared = await fresh.newPage();
      await shared.goto(url);
      await expect(shared.getByRole('note')).toContainText('A shared snapshot');
      const sharedComparison = await readComparison(shared.getByTestId('comparison'));
      expect(sharedComparison.images).toEqual(['image 1', 'image 2']);
      expect(untimed(sharedComparison, false)).toEqual(untimed(comparison, false));
      await expect(
        shared.getByRole('table', { name: 'Figures per strategy and image' }).getByRole('row'),
      ).toHaveCount(1 + pairs);
      await expect(shared.getByRole('cell', { name: 'image 2' }).first()).toBeVisible();
      expect(await shared.evaluate(async () => (await indexedDB.databases()).length)).toBe(0);

      // Damaged, truncated, foreign and newer links show why, not a blank page.
      const fragment = url.slice(url.indexOf('#') + 1);
      const flipped = fragment.slice(0, 20) + (fragment[20] === 'A' ? 'B' : 'A') + fragment.slice(21);
      const broken: [string, RegExp][] = [
        [flipped, /decoding share link: (damaged|invalid content)/],
        [fragment.slice(0, -12), /decoding share link: (truncated|damaged)/],
        ['view=table', /not a comparison link/],
        [newerVersionFragment(), /made by a newer version \(format 2\)/],
      ];
      for (const [hash, message] of broken) {
        await shared.goto(`/compare/shared#${hash}`);
        await shared.reload();
        // Next.js adds an empty route announcer with role=alert; the page's own alert has text.
        const alert = shared.getByRole('alert').filter({ hasText: "Couldn't open the shared comparison" });
        await expect(alert).toContainText(message);
        await expect(shared.getByTestId('comparison')).toHaveCount(0);
      }
    } finally {
      await fresh.close();
    }

    // A second run reuses the stored records instead of re-chunking.
    await page.reload();
    await page.getByRole('button', { name: 'Run' }).click();
    await expect(results).toBeVisible();
    const progress = page.getByLabel('Comparison progress');
    await page.getByText('Progress:').click();
    await expect(progress.getByText(/^stored earlier/)).toHaveCount(pairs);
    expect(untimed(await readComparison(results))).toEqual(untimed(expected));

    // A custom strategy joins the list; a malformed one is explained.
    const customField = page.getByRole('textbox', { name: 'Another strategy' });
    await customField.fill('rabin:1KiB');
    await page.getByRole('button', { name: 'Add' }).click();
    await expect(page.getByRole('alert').filter({ hasText: "Couldn't add the strategy" })).toContainText(
      'unknown name "rabin"',
    );
    await customField.fill('fixed-size:1KiB');
    await page.getByRole('button', { name: 'Add' }).click();
    await expect(strategies).toHaveCount(expected.strategies.length + 1);
    await expect(page.getByRole('checkbox', { name: 'fixed-size:1KiB' })).toBeChecked();

    // Cancel stops the run, which has thousands of new 1 KiB chunks to store and so lasts seconds.
    await page.getByRole('button', { name: 'Run' }).click();
    await page.getByRole('button', { name: 'Cancel' }).click();
    await expect(page.getByText('Comparison cancelled')).toBeVisible();
    await expect(page.getByRole('button', { name: 'Run' })).toBeEnabled();
    await expect(results).toHaveCount(0);
  });
});
