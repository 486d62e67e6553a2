/** `chunked-containers compare`: index images with several strategies and compare the results. */
import { openImageArchive } from '../core/archive/open';
import { parseStrategy } from '../core/chunk/params';
import type { StrategyParams } from '../core/chunk/strategy';
import { compareStrategies } from '../core/compare/compare';
import { DEFAULT_COMPARE_STRATEGIES, strategyRun } from '../core/compare/runs';
import type { Comparison, StrategyRun } from '../core/compare/types';
import type { Platform } from '../core/oci';
import { formatBytes } from '../core/format';
import { ingestImage } from '../core/ingest/image';
import { encodeShareLink } from '../core/share-link';
import { withStoreLock } from '../store/store-lock';
import { FsChunkStore } from '../store/fs-chunk-store';
import { openArchiveFile } from './files';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError, flagValue, parseFlags } from './args';
import type { Options } from './args';
import { pickImages, platformFlag } from './chunk';
import type { Output } from './main';

export const COMPARE_HELP = `usage: chunked-containers compare --image A.tar [--image B.tar ...] [flags]

Indexes every image with each strategy against one shared chunk store and
prints, per strategy and image, chunk counts, chunk sizes, bytes stored,
deduplication, bytes shared with the other images and update costs.

flags:
  --image ARCHIVE       image archive to compare; repeat for more images (required)
  --strategies LIST     strategies separated by spaces or ';', each as NAME[:SIZES], such as
                        "fixed-size:64KiB; content-defined:16KiB,64KiB,256KiB"; repeatable
                        (default: fixed-size 16/64/256 KiB, file-boundary 64 KiB,
                        content-defined 16/64/256 KiB average)
  --filesystem=BOOL     read tar entries (default true)
  --platform OS/ARCH    platform to pick from multi-platform indexes (default linux/amd64)
  --store DIR           chunk store folder (default: a temporary folder, removed afterwards)
  --json                print the comparison as JSON
  --share-url BASE      also print a share link: BASE followed by the encoded fragment
  --include-names       put image names in the share link (left out by default)`;

const FLAGS: Options = {
  image: { type: 'string', multiple: true },
  strategies: { type: 'string', multiple: true },
  filesystem: { type: 'string' },
  platform: { type: 'string' },
  store: { type: 'string' },
  json: { type: 'boolean' },
  'share-url': { type: 'string' },
  'include-names': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
};

/** Reads the --strategies values; each value may hold several, split by spaces or ';'. */
export function parseStrategyList(values: string[] | undefined): StrategyParams[] {
  if (!values || values.length === 0) return [...DEFAULT_COMPARE_STRATEGIES];
  const texts = values.flatMap((value) => value.split(/[\s;]+/)).filter(Boolean);
  if (texts.length === 0) throw new UsageError('--strategies lists no strategy');
  return texts.map((text) => {
    try {
      return parseStrategy(text);
    } catch (error) {
      throw new UsageError(`--strategies: ${(error as Error).message}`);
    }
  });
}

/** Indexes every image of every archive with every strategy; returns the runs in strategy order. */
export async function indexForComparison(
  archives: string[],
  strategies: StrategyParams[],
  store: FsChunkStore,
  options: { filesystem: boolean; platform?: Platform },
): Promise<StrategyRun[]> {
  const runs: StrategyRun[] = [];
  for (const strategy of strategies) {
    for (const path of archives) {
      const source = await openArchiveFile(path);
      try {
        const archive = await openImageArchive(source);
        for (const imageIndex of pickImages(archive, options.platform)) {
          const image = await archive.loadImage(imageIndex);
          const started = performance.now();
          const result = await withStoreLock(
            'shared',
            () => ingestImage(image, source.name, { strategy, filesystem: options.filesystem, store, clock: () => performance.now() }),
            { name: store.lockName },
          );
          const seconds = (performance.now() - started) / 1000;
          const indexes = await Promise.all(result.record.layers.map((l) => store.getIndex(l.indexDigest)));
          runs.push(strategyRun(result.record, indexes, seconds));
        }
      } finally {
        await source.close();
      }
    }
  }
  return runs;
}

function pad(text: string, width: number, right = false): string {
  return right ? text.padStart(width) : text.padEnd(width);
}

/** Returns the comparison as the table lines the command line prints. */
export function formatComparison(comparison: Comparison): string[] {
  const lines: string[] = [];
  const header = ['strategy', 'image', 'chunks', 'distinct', 'min', 'median', 'mean', 'p95', 'max', 'stored', 'dedup', 'shared', 'MB/s'];
  const widths = [34, 28, 8, 8, 9, 9, 9, 9, 9, 10, 6, 10, 7];
  lines.push(header.map((h, i) => pad(h, widths[i], i >= 2)).join(' '));
  for (const strategy of comparison.strategies) {
    for (const image of strategy.images) {
      const cells = [
        strategy.label,
        image.imageName,
        String(image.chunkCount),
        String(image.distinctChunks),
        formatBytes(image.sizes.min),
        formatBytes(image.sizes.median),
        formatBytes(Math.round(image.sizes.mean)),
        formatBytes(image.sizes.p95),
        formatBytes(image.sizes.max),
        formatBytes(image.storedBytes),
        image.dedupRatio.toFixed(2),
        formatBytes(image.sharedBytes),
        (image.bytesPerSecond / 1e6).toFixed(1),
      ];
      lines.push(cells.map((c, i) => pad(c.length > widths[i] ? `${c.slice(0, widths[i] - 1)}…` : c, widths[i], i >= 2)).join(' '));
    }
  }
  const names = comparison.images;
  if (names.length > 1) {
    lines.push('', 'update cost (bytes to fetch to go from the row image to the column image):');
    for (const strategy of comparison.strategies) {
      if (!strategy.updateCosts) continue;
      lines.push(`  ${strategy.label}`);
      strategy.updateCosts.forEach((row, a) => {
        const cells = row.map((bytes, b) => (a === b ? '-' : formatBytes(bytes)));
        lines.push(`    ${strategy.images[a].imageName} -> ${cells.join(', ')}`);
      });
    }
  }
  lines.push('', 'totals (all images in one store):');
  for (const strategy of comparison.strategies) {
    const t = strategy.totals;
    lines.push(`  ${pad(strategy.label, 34)} ${t.chunkCount} chunks, ${t.distinctChunks} distinct, ${formatBytes(t.storedBytes)} stored, dedup ${t.dedupRatio.toFixed(2)}`);
  }
  return lines;
}

export async function compareCommand(argv: string[], output: Output): Promise<number> {
  const { values } = parseFlags(argv, FLAGS);
  if (values.help) {
    output.out(COMPARE_HELP);
    return 0;
  }
  const archives = (values.image as string[] | undefined) ?? [];
  if (archives.length === 0) throw new UsageError('--image ARCHIVE is required, once per image');
  const strategies = parseStrategyList(values.strategies as string[] | undefined);
  const filesystem = flagValue('filesystem', values.filesystem as string | undefined, true);
  const shareURL = values['share-url'] as string | undefined;
  if (shareURL !== undefined && !/^https?:\/\//.test(shareURL)) {
    throw new UsageError(`--share-url must be an http or https URL, got ${JSON.stringify(shareURL)}`);
  }
  const platform = platformFlag(values.platform as string | undefined);
  const temporary = values.store ? undefined : await mkdtemp(join(tmpdir(), 'chunked-containers-compare-'));
  const store = new FsChunkStore({ root: (values.store as string | undefined) ?? temporary });
  try {
    const runs = await indexForComparison(archives, strategies, store, {
      filesystem,
      platform,
    });
    const comparison = compareStrategies(runs);
    const link = shareURL
      ? encodeShareLink(comparison, { includeNames: values['include-names'] === true })
      : undefined;
    const url = link && shareURL ? `${shareURL.replace(/#.*$/, '')}#${link.fragment}` : undefined;
    if (values.json) {
      output.out(JSON.stringify({ comparison, ...(url ? { shareURL: url, omitted: link!.omitted } : {}) }, null, 2));
    } else {
      for (const line of formatComparison(comparison)) output.out(line);
      if (url) {
        output.out('');
        output.out(`share link: ${url}`);
        if (link!.omitted.length > 0) output.out(`left out of the link to keep it short: ${link!.omitted.join(', ')}`);
      }
    }
    return 0;
  } finally {
    await store.close();
    if (temporary) await rm(temporary, { recursive: true, force: true });
  }
}


