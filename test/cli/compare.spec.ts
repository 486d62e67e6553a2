import { expect, test } from '@playwright/test';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Comparison, ImageFigures } from '../../lib/core/compare/types';
import type { IngestReport } from '../../lib/core/ingest/summary';
import { decodeShareLink } from '../../lib/core/share-link';
import { runCli } from '../helpers/cli';

const [V1, V2] = ['tiny-tools.docker.tar', 'tiny-tools-v2.oci.tar'].map((file) =>
  fileURLToPath(new URL(`../../public/samples/${file}`, import.meta.url)),
);
const V1_NAME = 'docker.io/chunked-containers/tiny-tools:latest';
const V2_NAME = 'tiny-tools-v2.oci.tar';
const TWO_STRATEGIES = 'fixed-size:64KiB; content-defined:16KiB,64KiB,256KiB';
const LABELS = ['fixed-size:64KiB', 'content-defined:16KiB,64KiB,256KiB'];

interface CompareJSON {
  comparison: Comparison;
  shareURL?: string;
  omitted?: string[];
}

async function compareJSON(...extra: string[]): Promise<CompareJSON> {
  const run = await runCli([
    'compare', '--image', V1, '--image', V2, '--strategies', TWO_STRATEGIES, '--json', ...extra,
  ]);
  expect(run.stderr).toBe('');
  expect(run.status).toBe(0);
  return JSON.parse(run.stdout) as CompareJSON;
}

/** Figures without the measured times, which differ from run to run. */
function untimed(figures: ImageFigures) {
  const { seconds, bytesPerSecond, histogram, imageName, ...rest } = figures;
  return rest;
}

test.describe('compare command', () => {
  test('should print a table, update costs and totals', async () => {
    const run = await runCli(['compare', '--image', V1, '--image', V2, '--strategies', TWO_STRATEGIES]);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines[0]).toMatch(/^strategy\s+image\s+chunks\s+distinct\s+min\s+median\s+mean\s+p95\s+max\s+stored\s+dedup\s+shared\s+MB\/s$/);
    const rows = lines.slice(1, 5);
    expect(rows.map((line) => line.split(/\s+/)[0])).toEqual([LABELS[0], LABELS[0], LABELS[1], LABELS[1]]);
    expect(rows[1]).toContain(V2_NAME);
    expect(run.stdout).toContain('update cost (bytes to fetch to go from the row image to the column image):');
    expect(run.stdout).toContain(`    ${V1_NAME} -> -, `);
    expect(run.stdout).toContain('totals (all images in one store):');
    expect(run.stdout).not.toContain('share link');
  });

  test('should agree with the chunk command on counts and sizes', async () => {
    const { comparison } = await compareJSON();
    const store = await mkdtemp(join(tmpdir(), 'cc-compare-'));
    try {
      const chunk = await runCli(['chunk', '--image', V1, '--store', store, '--json']);
      expect(chunk.status).toBe(0);
      const report = JSON.parse(chunk.stdout) as IngestReport;
      const figures = comparison.strategies[0].images[0];
      expect(figures.layerCount).toBe(report.layers.length);
      expect(figures.chunkCount).toBe(report.layers.reduce((t, l) => t + l.chunkCount, 0));
      expect(figures.totalBytes).toBe(report.layers.reduce((t, l) => t + l.uncompressedSize, 0));
      expect(figures.storedBytes).toBe(report.bytesStored);
      expect(figures.distinctChunks).toBe(report.chunksCreated);
    } finally {
      await rm(store, { recursive: true, force: true });
    }
  });

  test('should print the comparison as consistent JSON', async () => {
    const { comparison, shareURL } = await compareJSON();
    expect(shareURL).toBeUndefined();
    expect(comparison.images).toEqual([V1_NAME, V2_NAME]);
    expect(comparison.strategies.map((s) => s.label)).toEqual(LABELS);
    for (const strategy of comparison.strategies) {
      const [a, b] = strategy.images;
      const costs = strategy.updateCosts!;
      expect(costs[0][0]).toBe(0);
      expect(costs[1][1]).toBe(0);
      // What b shares with a is exactly what a machine that has a need not fetch.
      expect(costs[0][1]).toBe(b.storedBytes - b.sharedBytes);
      expect(costs[1][0]).toBe(a.storedBytes - a.sharedBytes);
      expect(strategy.totals.storedBytes).toBe(a.storedBytes + costs[0][1]);
      expect(strategy.totals.chunkCount).toBe(a.chunkCount + b.chunkCount);
      expect(a.histogram!.counts.reduce((t, c) => t + c, 0)).toBe(a.chunkCount);
      expect(a.bytesIn).toBe(a.totalBytes);
    }
    const [fixed, cdc] = comparison.strategies;
    expect(cdc.updateCosts![0][1]).toBeLessThan(fixed.updateCosts![0][1]);
  });

  test('should round-trip a share link without names', async () => {
    const { comparison, shareURL, omitted } = await compareJSON('--share-url', 'http://127.0.0.1:3000/compare/shared');
    expect(shareURL).toMatch(/^http:\/\/127\.0\.0\.1:3000\/compare\/shared#cmp=[A-Za-z0-9_-]+$/);
    expect(omitted).toEqual([]);
    const decoded = decodeShareLink(shareURL!);
    expect(decoded.namesIncluded).toBe(false);
    expect(decoded.comparison.images).toEqual(['image 1', 'image 2']);
    expect(shareURL).not.toContain('tiny-tools');
    decoded.comparison.strategies.forEach((strategy, s) => {
      const original = comparison.strategies[s];
      expect(strategy.label).toBe(original.label);
      expect(strategy.updateCosts).toEqual(original.updateCosts);
      expect(strategy.totals.storedBytes).toBe(original.totals.storedBytes);
      strategy.images.forEach((figures, i) => {
        expect(untimed(figures)).toEqual(untimed(original.images[i]));
        expect(figures.histogram).toEqual(original.images[i].histogram);
        expect(figures.seconds).toBe(Math.round(original.images[i].seconds * 1000) / 1000);
      });
    });
  });

  test('should put names in the link when asked', async () => {
    const { shareURL } = await compareJSON('--share-url', 'https://example.test/compare/shared#old', '--include-names');
    expect(shareURL).toMatch(/^https:\/\/example\.test\/compare\/shared#cmp=/);
    const decoded = decodeShareLink(shareURL!);
    expect(decoded.namesIncluded).toBe(true);
    expect(decoded.comparison.images).toEqual([V1_NAME, V2_NAME]);
  });

  test('should print the share link after the table', async () => {
    const run = await runCli([
      'compare', '--image', V1, '--strategies', 'fixed-size:256KiB', '--share-url', 'http://127.0.0.1:3000/compare/shared',
    ]);
    expect(run.status).toBe(0);
    const line = run.stdout.split('\n').find((l) => l.startsWith('share link: '));
    expect(line).toBeDefined();
    const decoded = decodeShareLink(line!.slice('share link: '.length));
    expect(decoded.comparison.strategies[0].label).toBe('fixed-size:256KiB');
    expect(run.stdout).not.toContain('update cost');
  });

  test('should keep the store it is given', async () => {
    const store = await mkdtemp(join(tmpdir(), 'cc-compare-store-'));
    try {
      const run = await runCli(['compare', '--image', V1, '--strategies', 'fixed-size:256KiB', '--store', store]);
      expect(run.status).toBe(0);
      expect(await readdir(join(store, 'images'))).toHaveLength(1);
    } finally {
      await rm(store, { recursive: true, force: true });
    }
  });

  test('should print help', async () => {
    const run = await runCli(['compare', '--help']);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('usage: chunked-containers compare --image A.tar');
  });

  const usageErrors: [string, string[], string][] = [
    ['no image', [], '--image ARCHIVE is required, once per image'],
    ['an unknown strategy', ['--image', V1, '--strategies', 'rabin:64KiB'], '--strategies: strategy: unknown name "rabin"'],
    ['an empty strategy list', ['--image', V1, '--strategies', ' ; '], '--strategies lists no strategy'],
    ['a bad share URL', ['--image', V1, '--share-url', 'ftp://host/x'], '--share-url must be an http or https URL'],
    ['a bad filesystem value', ['--image', V1, '--filesystem=maybe'], '--filesystem must be true or false, got "maybe"'],
    ['a bad platform', ['--image', V1, '--platform', 'linux'], '--platform must be OS/ARCH'],
    ['an unknown flag', ['--image', V1, '--bogus'], 'unknown flag --bogus'],
  ];
  for (const [name, argv, message] of usageErrors) {
    test(`should exit 2 for ${name}`, async () => {
      const run = await runCli(['compare', ...argv]);
      expect(run.status).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr).toContain(message);
      expect(run.stderr).toContain("Run 'chunked-containers compare --help' for usage.");
    });
  }

  test('should exit 1 for a file that is not an archive', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'cc-compare-bad-'));
    try {
      const path = join(folder, 'not-an-image.tar');
      await writeFile(path, new Uint8Array(4096).fill(7));
      const run = await runCli(['compare', '--image', path, '--strategies', 'fixed-size:64KiB']);
      expect(run.status).toBe(1);
      expect(run.stdout).toBe('');
      expect(run.stderr).toMatch(/^chunked-containers compare: /);
      expect(run.stderr).toContain('not-an-image.tar');
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });

  test('should exit 1 for a missing archive', async () => {
    const run = await runCli(['compare', '--image', '/nonexistent/missing.tar']);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('missing.tar');
  });
});
