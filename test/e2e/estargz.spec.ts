import { expect, test } from '@playwright/test';
import type { Page } from '@playwright/test';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { StargzReport } from '../../lib/cli/chunk';
import { TOC_DIGEST_ANNOTATION } from '../../lib/core/estargz/types';
import { runCli } from '../helpers/cli';
import { estargzVerifier, gnuListing, hasTool, run, tempDir } from '../estargz/helpers';
import { extractedLayers } from '../core/convert-fixtures';
import { repoPath } from '../fixtures/ingest/ingest-run';
import { writeDockerSave } from '../fixtures/ingest/archives';

const SAMPLE_PATH = repoPath('public/samples/tiny-tools.docker.tar');
const ESTARGZ_ARCHIVE = repoPath('test/fixtures/archives/debian-tiny/tiny-estargz.oci.tar');

function sha256File(path: string): string {
  return `sha256:${createHash('sha256').update(readFileSync(path)).digest('hex')}`;
}

/** Makes the page save downloads through a link, as browsers without showSaveFilePicker do. */
async function withoutFilePicker(page: Page): Promise<void> {
  await page.addInitScript(() => {
    Object.defineProperty(window, 'showSaveFilePicker', { value: undefined, configurable: true });
  });
}

/** Imports an archive (a sample by its button title, or a file) and opens its image page on the eStargz tab. */
async function importAndOpen(page: Page, source: { sample: string } | { file: string }): Promise<void> {
  await page.goto('/');
  // The sample list appears once the page has hydrated and its handlers listen.
  await expect(page.getByText('Try a sample')).toBeVisible();
  if ('sample' in source) await page.getByRole('button', { name: source.sample }).click();
  else await page.getByLabel('Image archive').setInputFiles(source.file);
  await page.getByRole('button', { name: 'Start' }).click();
  await page.getByRole('link', { name: 'Explore this image' }).click();
  await page.getByRole('tab', { name: 'eStargz' }).click();
}

/** Returns the chunk store figures of the library's Storage line, without the quota part. */
async function storageFigures(page: Page): Promise<string> {
  await page.goto('/library');
  const line = page.getByLabel('Storage');
  await expect(line).toContainText('distinct chunks');
  const text = (await line.textContent()) ?? '';
  return text.match(/\d+ distinct chunks.*?image records/)?.[0] ?? text;
}

async function download(page: Page, click: () => Promise<void>, dir: string): Promise<string> {
  const [saved] = await Promise.all([page.waitForEvent('download'), click()]);
  const path = join(dir, saved.suggestedFilename());
  await saved.saveAs(path);
  return path;
}

test.describe('eStargz tab', () => {
  test('should match the command line and pass the tools', async ({ page }) => {
    test.skip(!hasTool('skopeo'), 'skopeo is not installed');
    const store = tempDir('e2e-estargz-cli');
    const downloads = tempDir('e2e-estargz-downloads');
    try {
      const cli = await runCli(['chunk', '--image', SAMPLE_PATH, '--store', store, '--stargz', '--json']);
      expect(cli.stderr).toBe('');
      const expected = (JSON.parse(cli.stdout) as { estargz: StargzReport }).estargz;

      await withoutFilePicker(page);
      await importAndOpen(page, { sample: 'tiny-tools (docker save)' });
      await expect(page.getByLabel('Chunk size')).toHaveValue('4096');
      await expect(page.getByLabel('Gzip level')).toHaveValue('9');
      await page.getByRole('button', { name: 'Build eStargz' }).click();
      const table = page.getByRole('table', { name: 'eStargz layers' });
      await expect(table.getByRole('row')).toHaveCount(expected.layers.length + 1);
      const digests = await table.locator('tbody tr').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-digest')));
      expect(digests).toEqual(expected.layers.map((layer) => layer.digest));
      await expect(page.getByTestId('estargz-manifest-digest')).toHaveText(expected.manifestDigest);

      await page.getByRole('button', { name: 'Verify' }).click();
      await expect(page.getByText(`All ${expected.layers.length} layers verified`)).toBeVisible();
      await page.getByRole('searchbox', { name: 'Search TOC of eStargz layer 1' }).fill('bin/busybox');
      await expect(page.getByRole('table', { name: 'TOC of eStargz layer 1' })).toContainText('bin/busybox');

      const bundle = await download(page, () => page.getByRole('button', { name: 'Download bundle' }).click(), downloads);
      expect(bundle.endsWith('chunked-containers_tiny-tools_latest.oci.tar')).toBe(true);
      const inspected = JSON.parse(run('skopeo', ['inspect', `oci-archive:${bundle}`]));
      expect(inspected.Digest).toBe(expected.manifestDigest);
      expect(inspected.Layers).toEqual(expected.layers.map((layer) => layer.digest));
      expect(readFileSync(bundle).equals(readFileSync(expected.bundle))).toBe(true);

      const copy = join(tempDir('e2e-skopeo-copy'), 'image');
      run('skopeo', ['copy', '--quiet', `oci-archive:${bundle}`, `dir:${copy}`]);
      const manifest = JSON.parse(readFileSync(join(copy, 'manifest.json'), 'utf8'));
      const verifier = estargzVerifier();
      for (const descriptor of manifest.layers as { digest: string; annotations: Record<string, string> }[]) {
        const blob = join(copy, descriptor.digest.slice('sha256:'.length));
        expect(sha256File(blob)).toBe(descriptor.digest);
        if (verifier) run(verifier, ['-toc-digest', descriptor.annotations[TOC_DIGEST_ANNOTATION], blob]);
      }

      const layer = await download(page, () => page.getByRole('button', { name: 'Download layer 1' }).click(), downloads);
      expect(layer.endsWith('-layer-0.stargz')).toBe(true);
      expect(sha256File(layer)).toBe(expected.layers[0].digest);
      expect(gnuListing(layer)).toEqual(gnuListing(extractedLayers(SAMPLE_PATH)[0]));
      test.skip(!verifier, 'the Go estargz checker cannot be built here');
    } finally {
      await rm(store, { recursive: true, force: true });
      await rm(downloads, { recursive: true, force: true });
    }
  });

  test('should stream to the file picker piece by piece', async ({ page }) => {
    // A stand-in for Chromium's save dialog, which tests cannot drive: it records each write.
    await page.addInitScript(() => {
      const saved: { name?: string; sizes: number[]; parts: Uint8Array[]; closed: boolean } = { sizes: [], parts: [], closed: false };
      Object.assign(window, { savedFile: saved });
      Object.defineProperty(window, 'showSaveFilePicker', {
        configurable: true,
        value: async ({ suggestedName }: { suggestedName: string }) => {
          saved.name = suggestedName;
          return {
            createWritable: async () => ({
              write: async (data: Uint8Array) => {
                saved.sizes.push(data.length);
                saved.parts.push(data.slice());
              },
              close: async () => {
                saved.closed = true;
              },
              abort: async () => undefined,
            }),
          };
        },
      });
    });
    await importAndOpen(page, { sample: 'tiny-tools (docker save)' });
    await page.getByLabel('Gzip level').selectOption('1');
    await page.getByRole('button', { name: 'Build eStargz' }).click();
    const row = page.getByRole('table', { name: 'eStargz layers' }).locator('tbody tr').first();
    const digest = await row.getAttribute('data-digest');
    await page.getByRole('button', { name: 'Download layer 1' }).click();
    await expect(page.getByRole('status')).toContainText('Saved');

    const saved = await page.evaluate(async () => {
      const file = (window as unknown as { savedFile: { name: string; sizes: number[]; parts: Uint8Array[]; closed: boolean } }).savedFile;
      const hash = await crypto.subtle.digest('SHA-256', await new Blob(file.parts as BlobPart[]).arrayBuffer());
      const hex = [...new Uint8Array(hash)].map((byte) => byte.toString(16).padStart(2, '0')).join('');
      return { name: file.name, sizes: file.sizes, closed: file.closed, digest: `sha256:${hex}` };
    });
    expect(saved.name).toBe('chunked-containers_tiny-tools_latest-layer-0.stargz');
    expect(saved.closed).toBe(true);
    expect(saved.sizes.length).toBeGreaterThan(1);
    expect(Math.max(...saved.sizes)).toBeLessThanOrEqual(1 << 20);
    expect(saved.digest).toBe(digest);
  });

  test('should show the TOC of a source layer that is already eStargz', async ({ page }) => {
    const dir = tempDir('e2e-source-toc');
    try {
      run('tar', ['-xf', ESTARGZ_ARCHIVE, '-C', dir, 'index.json']);
      const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8'));
      run('tar', ['-xf', ESTARGZ_ARCHIVE, '-C', dir, `blobs/sha256/${index.manifests[0].digest.slice(7)}`]);
      const manifest = JSON.parse(readFileSync(join(dir, 'blobs/sha256', index.manifests[0].digest.slice(7)), 'utf8'));
      const annotated = manifest.layers[0].annotations[TOC_DIGEST_ANNOTATION] as string;

      await importAndOpen(page, { file: ESTARGZ_ARCHIVE });
      const sources = page.getByRole('table', { name: 'Source TOCs' });
      await expect(sources).toContainText(annotated);
      await expect(sources).toContainText("matches the manifest's toc.digest annotation");
      await expect(page.getByRole('table', { name: 'Source TOC of layer 1' })).toContainText('bin/busybox');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('should leave no build and no chunks when cancelled', async ({ page }) => {
    // One worker builds the layers one after another. Layer 1 holds 24 MiB of
    // pseudo-random bytes, which take seconds to deflate at level 9, so the
    // cancel lands inside it, after some of its blob chunks may be stored.
    await page.addInitScript(() => Object.defineProperty(navigator, 'hardwareConcurrency', { value: 1 }));
    const dir = tempDir('cc-estargz-cancel-');
    const archive = join(dir, 'slow.docker.tar');
    await writeDockerSave(archive, [
      {
        repoTag: 'chunked-containers/slow:latest',
        layers: [
          { entries: [{ type: 'file', path: 'random.bin', size: 24 << 20, content: { random: 7 } }] },
          { entries: [{ type: 'file', path: 'small.txt', size: 4096, content: 'repeat' }] },
        ],
      },
    ]);
    await importAndOpen(page, { file: archive });
    const imageURL = page.url();
    const before = await storageFigures(page);

    await page.goto(imageURL);
    await page.getByRole('tab', { name: 'eStargz' }).click();
    await expect(page.getByText('up to 1 worker')).toBeVisible();
    await page.getByRole('button', { name: 'Build eStargz' }).click();
    await expect(page.getByLabel('eStargz build progress')).toContainText('Layer 1');
    await page.getByRole('button', { name: 'Cancel' }).click();
    await expect(page.getByRole('status')).toContainText('Build cancelled');
    await expect(page.getByRole('status')).toContainText('no eStargz build was stored');

    await page.reload();
    await page.getByRole('tab', { name: 'eStargz' }).click();
    await expect(page.getByRole('button', { name: 'Build eStargz' })).toBeVisible();
    await expect(page.getByRole('region', { name: 'Converted image' })).toHaveCount(0);
    expect(await storageFigures(page)).toBe(before);
    await rm(dir, { recursive: true, force: true });
  });
});
