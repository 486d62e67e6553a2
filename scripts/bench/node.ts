/**
 * The Node half of the benchmark. It measures the same stage limits as in
 * Chromium with the command line's choices: fflate, hash-wasm for every
 * digest and the filesystem store, with node:zlib and node:crypto beside them
 * for reference. Then it runs the command line's `chunk` (lib/cli/chunk.ts)
 * end to end per strategy.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGunzip } from 'node:zlib';
import { Readable } from 'node:stream';
import { openImageArchive } from '../../lib/core/archive/open';
import type { ArchiveLayer } from '../../lib/core/archive/types';
import { STRATEGY_NAMES } from '../../lib/core/chunk/params';
import type { StrategyName } from '../../lib/core/chunk/strategy';
import { decompress } from '../../lib/core/compression';
import type { IngestReport } from '../../lib/core/ingest/summary';
import { sha256 } from '../../lib/core/sha256';
import { chunkCommand } from '../../lib/cli/chunk';
import { FsChunkStore } from '../../lib/store/fs-chunk-store';
import { openFileSource } from '../../lib/node/file-source';
import type { BenchInput } from './images';
import {
  drain,
  measureStages,
  readAndHashBlob,
  stage,
  stageFigures,
  timed,
  type StageFigure,
  type StageFigures,
} from './stages';

export interface NodeLimits extends StageFigures {
  read: StageFigure;
  blobDigest: StageFigure;
  inflateFflate: StageFigure;
  inflateZlib: StageFigure;
  /** node:crypto SHA-256 streaming over the uncompressed bytes, for reference. */
  nodeCryptoStreaming: StageFigure;
}

export interface CLIRun {
  strategy: StrategyName;
  image: string;
  seconds: number;
  uncompressedBytes: number;
  compressedBytes: number;
  chunksNew: number;
  chunksDeduplicated: number;
}

export interface NodeFigures {
  nodeVersion: string;
  limits: NodeLimits;
  ingest: CLIRun[];
  variant?: CLIRun;
}

async function* nodeGunzip(pieces: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  for await (const piece of Readable.from(pieces).pipe(createGunzip())) yield piece as Uint8Array;
}

async function* hashedBy(
  pieces: AsyncIterable<Uint8Array>,
  figure: StageFigure,
): AsyncGenerator<Uint8Array> {
  const hash = createHash('sha256');
  for await (const piece of pieces) {
    timed(figure, piece.length, () => hash.update(piece));
    yield piece;
  }
  hash.digest();
}

/** Measures each stage alone over every layer of the base image. */
export async function measureNodeLimits(input: BenchInput, scratch: string): Promise<NodeLimits> {
  const source = await openFileSource(input.base.archive);
  const store = new FsChunkStore({ root: join(scratch, 'limits-store') });
  const figures: NodeLimits = {
    ...stageFigures(),
    read: stage(),
    blobDigest: stage(),
    inflateFflate: stage(),
    inflateZlib: stage(),
    nodeCryptoStreaming: stage(),
  };
  try {
    const archive = await openImageArchive(source);
    const image = await archive.loadImage(archive.images.findIndex((entry) => entry.available));
    for (const layer of image.layers) {
      const open = () => layer.open({ verifyDigest: false });
      await readAndHashBlob(layer, figures.read, figures.blobDigest);
      await drain(figures.inflateFflate, decompress(open(), layer.compression));
      const zlibOut = layer.compression === 'gzip' ? nodeGunzip(open()) : decompress(open(), layer.compression);
      await drain(figures.inflateZlib, hashedBy(zlibOut, figures.nodeCryptoStreaming));
      await measureStages(inflated(layer), { hashChunk: sha256, store }, figures);
    }
  } finally {
    await store.close();
    await source.close();
  }
  // The zlib pass also timed node:crypto inside its own time, so subtract it.
  figures.inflateZlib.seconds -= figures.nodeCryptoStreaming.seconds;
  return figures;
}

function inflated(layer: ArchiveLayer): AsyncIterable<Uint8Array> {
  return decompress(layer.open({ verifyDigest: false }), layer.compression);
}

/** Runs `chunked-containers chunk --json` in this process and times it. */
async function runChunkCommand(archive: string, strategy: StrategyName, storeRoot: string): Promise<CLIRun> {
  const lines: string[] = [];
  const errors: string[] = [];
  const started = performance.now();
  const status = await chunkCommand(
    ['--image', archive, '--strategy', strategy, '--store', storeRoot, '--json'],
    { out: (line) => lines.push(line), err: (line) => errors.push(line) },
  );
  const seconds = (performance.now() - started) / 1000;
  if (status !== 0) throw new Error(`chunk --image ${archive}: exit status ${status}: ${errors.join(' ')}`);
  const parsed = JSON.parse(lines.join('\n')) as IngestReport | IngestReport[];
  const report = Array.isArray(parsed) ? parsed[0] : parsed;
  return {
    strategy,
    image: archive,
    seconds,
    uncompressedBytes: report.layers.reduce((sum, layer) => sum + layer.uncompressedSize, 0),
    compressedBytes: report.bytesRead,
    chunksNew: report.chunksCreated,
    chunksDeduplicated: report.chunksDeduplicated,
  };
}

/** Runs every Node figure on `input`. */
export async function runNode(input: BenchInput, log: (line: string) => void): Promise<NodeFigures> {
  const scratch = await mkdtemp(join(tmpdir(), 'cc-bench-node-'));
  try {
    log('node: stage limits');
    const limits = await measureNodeLimits(input, scratch);
    const ingest: CLIRun[] = [];
    let variant: CLIRun | undefined;
    for (const strategy of STRATEGY_NAMES) {
      const root = join(scratch, `store-${strategy}`);
      log(`node: chunk --image ${input.base.name} --strategy ${strategy}`);
      ingest.push(await runChunkCommand(input.base.archive, strategy, root));
      if (strategy === 'content-defined' && input.variant) {
        log(`node: chunk --image ${input.variant.name} into the same store`);
        variant = await runChunkCommand(input.variant.archive, strategy, root);
      }
      await rm(root, { recursive: true, force: true });
    }
    return { nodeVersion: process.version, limits, ingest, variant };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
