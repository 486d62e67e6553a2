/** `chunked-containers chunk`: ingest every image of an archive into the filesystem store. */
import { openImageArchive } from '../core/archive/open';
import type { ImageArchive } from '../core/archive/types';
import { selectImage } from '../core/archive/select';
import type { Platform } from '../core/oci';
import { CONTENT_DEFINED_BOUNDS, MAX_CHUNK_SIZE_BYTES, parseStrategy } from '../core/chunk/params';
import type { StrategyParams } from '../core/chunk/strategy';
import { formatBytes } from '../core/format';
import { ingestImage, runLayerHere } from '../core/ingest/image';
import type { IngestImageOptions } from '../core/ingest/image';
import { formatReport, ingestReport } from '../core/ingest/summary';
import type { IngestReport } from '../core/ingest/summary';
import { withStoreLock } from '../store/store-lock';
import { DEFAULT_STORE_ROOT, FsChunkStore } from '../store/fs-chunk-store';
import { openArchiveFile } from './files';
import { layerDoneLine, progressPrinter } from './progress';
import { UsageError, flagValue, integerFlag, parseFlags } from './args';
import type { Options } from './args';
import type { Output } from './main';
import { STARGZ_FLAGS, convertFlags, writeStargz } from './stargz';
import type { StargzFiles } from './stargz';

export const CHUNK_HELP = `usage: chunked-containers chunk --image ARCHIVE [flags]

Reads a docker save or OCI image-layout archive, cuts every layer's
uncompressed tar stream into chunks and stores each distinct chunk once.

flags:
  --image ARCHIVE         image archive (.tar) to read (required)
  --strategy NAME         fixed-size (default), file-boundary or content-defined
  --chunk-size-kb N       chunk size in KiB for fixed-size and file-boundary (default 64)
  --min-kb N, --avg-kb N, --max-kb N
                          content-defined minimum, average and maximum chunk size
                          in KiB (default 16, 64, 256)
  --filesystem=BOOL       read tar entries (default true); false chunks plain bytes
  --platform OS/ARCH      platform to pick from a multi-platform index (default linux/amd64)
  --store DIR             chunk store folder (default ${DEFAULT_STORE_ROOT})
  --stargz                also convert each image to eStargz: writes
                          DIR/stargz/IMAGE-layer-N.stargz and the bundle
                          DIR/stargz/IMAGE.oci.tar (an OCI image layout)
  --stargz-chunk-size-kb N  eStargz chunk size in KiB (default 4096)
  --gzip-level N          eStargz gzip level, 0 to 9 (default 9)
  --prioritized-files LIST  comma-separated paths to put first, before the prefetch landmark
  --json                  print the report as JSON
  --verbose               print progress per layer to stderr`;

export const STRATEGY_FLAGS: Options = {
  strategy: { type: 'string' },
  'chunk-size-kb': { type: 'string' },
  'min-kb': { type: 'string' },
  'avg-kb': { type: 'string' },
  'max-kb': { type: 'string' },
  filesystem: { type: 'string' },
};

const FLAGS: Options = {
  image: { type: 'string' },
  ...STRATEGY_FLAGS,
  platform: { type: 'string' },
  store: { type: 'string' },
  ...STARGZ_FLAGS,
  json: { type: 'boolean' },
  verbose: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
};

/** Reads the strategy flags into strategy parameters in bytes. */
export function strategyFromFlags(values: Record<string, unknown>): StrategyParams {
  const name = (values.strategy as string | undefined) ?? 'fixed-size';
  if (!['fixed-size', 'file-boundary', 'content-defined'].includes(name)) {
    throw new UsageError(`--strategy must be fixed-size, file-boundary or content-defined, got ${JSON.stringify(name)}`);
  }
  const kib = (flag: string, fallback: number, maxBytes: number) =>
    integerFlag(flag, values[flag] as string | undefined, fallback, maxBytes / 1024) * 1024;
  let input: StrategyParams;
  if (name === 'content-defined') {
    const bounds = CONTENT_DEFINED_BOUNDS;
    const min = kib('min-kb', 16, bounds.min.upper);
    const avg = kib('avg-kb', 64, bounds.avg.upper);
    const max = kib('max-kb', 256, bounds.max.upper);
    if (!(min <= avg && avg <= max)) {
      throw new UsageError(
        `--min-kb, --avg-kb and --max-kb must not descend, got ${min / 1024}, ${avg / 1024} and ${max / 1024}`,
      );
    }
    input = { name, min, avg, max };
  } else {
    input = { name: name as 'fixed-size' | 'file-boundary', chunkSize: kib('chunk-size-kb', 64, MAX_CHUNK_SIZE_BYTES) };
  }
  try {
    return parseStrategy(input);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** Reads `--platform os/arch[/variant]`. */
export function platformFlag(value: string | undefined): Platform | undefined {
  if (value === undefined) return undefined;
  const [os, architecture, variant, extra] = value.split('/');
  if (!os || !architecture || extra !== undefined) {
    throw new UsageError(`--platform must be OS/ARCH or OS/ARCH/VARIANT, such as linux/amd64, got ${JSON.stringify(value)}`);
  }
  return variant ? { os, architecture, variant } : { os, architecture };
}

/**
 * Returns the indexes in `archive.images` to ingest: for each image of the
 * archive, the platform that `platform` names (linux/amd64 by default).
 */
export function pickImages(archive: ImageArchive, platform: Platform | undefined): number[] {
  const groups = [...new Set(archive.images.map((entry) => entry.group))];
  return groups.map((group) => selectImage(archive, { platform, group }));
}

/** Files and digests that `--stargz` wrote, for the report. */
export interface StargzReport {
  manifestDigest: string;
  configDigest: string;
  layers: { digest: string; diffID: string; size: number; tocDigest: string; file: string }[];
  bundle: string;
  seconds: number;
}

function stargzReport(files: StargzFiles): StargzReport {
  return {
    manifestDigest: files.converted.manifestDigest,
    configDigest: files.converted.configDigest,
    layers: files.converted.layers.map((layer, i) => ({
      digest: layer.digest,
      diffID: layer.diffID,
      size: layer.size,
      tocDigest: layer.tocDigest,
      file: files.layerFiles[i],
    })),
    bundle: files.bundleFile,
    seconds: files.converted.seconds,
  };
}

function formatStargzReport(report: StargzReport): string[] {
  return [
    `eStargz manifest digest: ${report.manifestDigest}`,
    ...report.layers.map((l, i) => `  [${i}] ${l.digest} (${l.size} bytes), TOC ${l.tocDigest} -> ${l.file}`),
    `eStargz bundle: ${report.bundle}`,
  ];
}

export async function chunkCommand(argv: string[], output: Output): Promise<number> {
  const { values } = parseFlags(argv, FLAGS);
  if (values.help) {
    output.out(CHUNK_HELP);
    return 0;
  }
  if (typeof values.image !== 'string') throw new UsageError('--image ARCHIVE is required');
  const strategy = strategyFromFlags(values);
  const filesystem = flagValue('filesystem', values.filesystem as string | undefined, true);
  const platform = platformFlag(values.platform as string | undefined);
  const stargz = flagValue('stargz', values.stargz as string | undefined, false);
  const convert = stargz ? convertFlags(values) : undefined;

  const store = new FsChunkStore({ root: (values.store as string | undefined) ?? DEFAULT_STORE_ROOT });
  const source = await openArchiveFile(values.image);
  const reports: (IngestReport & { estargz?: StargzReport })[] = [];
  try {
    const archive = await openImageArchive(source);
    for (const imageIndex of pickImages(archive, platform)) {
      const image = await archive.loadImage(imageIndex);
      const started = performance.now();
      const options: IngestImageOptions = { strategy, filesystem, store };
      if (values.verbose) {
        options.onProgress = progressPrinter(output.err);
        options.runLayer = async (layerIndex, signal) => {
          const outcome = await runLayerHere(image, layerIndex, options, signal);
          output.err(layerDoneLine(outcome));
          return outcome;
        };
      }
      const result = await withStoreLock('shared', () => ingestImage(image, source.name, options), {
        name: store.lockName,
      });
      const report = ingestReport(result, (performance.now() - started) / 1000);
      if (convert) {
        const files = await writeStargz(result.record, store, convert);
        reports.push({ ...report, estargz: stargzReport(files) });
      } else {
        reports.push(report);
      }
    }
  } catch (error) {
    await store.collectGarbage().catch(() => undefined);
    throw error;
  } finally {
    await source.close();
    await store.close();
  }

  if (values.json) {
    output.out(JSON.stringify(reports.length === 1 ? reports[0] : reports, null, 2));
  } else {
    reports.forEach((report, i) => {
      if (i > 0) output.out('');
      for (const line of formatReport(report, formatBytes)) output.out(line);
      if (report.estargz) for (const line of formatStargzReport(report.estargz)) output.out(line);
    });
  }
  return 0;
}
