/**
 * Derived figures of the benchmark: the ideal pipeline from the stage
 * limits, each ingest as a ratio to it, the aims, and the printed table.
 * Rates are MB/s with MB = 10^6 bytes.
 */
import type { StrategyName } from '../../lib/core/chunk/strategy';
import { STRATEGY_NAMES } from '../../lib/core/chunk/params';
import type { BrowserFigures } from './browser';
import type { CasyncFigures } from './casync';
import type { LibraryBuild, OwnBuild } from './estargz';
import type { NodeFigures } from './node';
import type { StageFigure } from './stages';

export const MB = 1e6;

/** Rate of a stage in MB/s of the bytes it handled. */
export function rate(figure: StageFigure): number {
  return figure.seconds > 0 ? figure.bytes / MB / figure.seconds : Infinity;
}

/** One term of the ideal: a stage, its rate, and its bytes per uncompressed byte. */
export interface PipelineStage {
  stage: string;
  rate: number;
  /** Bytes this stage handles per uncompressed byte (the compression ratio for stages on the blob). */
  share: number;
  /** Seconds per uncompressed MB on one core. */
  secondsPerMB: number;
}

export interface IdealPipeline {
  stages: PipelineStage[];
  /** 1 / sum(share / rate): uncompressed MB/s on one core. */
  perCore: number;
  /** The slowest stage per uncompressed byte. */
  biggestCost: string;
}

export function idealPipeline(terms: { stage: string; figure: StageFigure; share: number }[]): IdealPipeline {
  const stages = terms.map(({ stage, figure, share }) => {
    const r = rate(figure);
    return { stage, rate: r, share, secondsPerMB: share / r };
  });
  const total = stages.reduce((sum, s) => sum + s.secondsPerMB, 0);
  const biggest = stages.reduce((a, b) => (b.secondsPerMB > a.secondsPerMB ? b : a));
  return { stages, perCore: 1 / total, biggestCost: biggest.stage };
}

/**
 * Largest share of the bytes one worker must take when `workers` workers take
 * the layers in order, each the next layer when it is free (as runPool does).
 */
export function layerBound(layerBytes: number[], workers: number): number {
  const free = new Array(Math.max(1, workers)).fill(0);
  for (const bytes of layerBytes) {
    const i = free.indexOf(Math.min(...free));
    free[i] += bytes;
  }
  const total = layerBytes.reduce((a, b) => a + b, 0);
  return Math.max(...free) / total;
}

function browserIdeal(b: BrowserFigures, strategy: StrategyName): IdealPipeline {
  const l = b.limits;
  const compressed = l.layers.reduce((sum, layer) => sum + layer.compressedBytes, 0);
  const uncompressed = l.layers.reduce((sum, layer) => sum + layer.uncompressedBytes, 0);
  const ratio = compressed / uncompressed;
  return idealPipeline([
    { stage: 'read (Blob.slice)', figure: l.read, share: ratio },
    { stage: 'blob digest (hash-wasm)', figure: l.blobDigest, share: ratio },
    { stage: 'inflate (DecompressionStream)', figure: l.inflateDecompressionStream, share: 1 },
    { stage: 'diffID (hash-wasm)', figure: l.hashWasmStreaming, share: 1 },
    { stage: 'tar parse', figure: l.tarParse, share: 1 },
    { stage: `cut (${strategy})`, figure: l.cut[strategy], share: 1 },
    { stage: 'chunk hash (WebCrypto)', figure: l.chunkHash, share: 1 },
    { stage: 'IndexedDB putMany', figure: l.putMany, share: 1 },
  ]);
}

function nodeIdeal(n: NodeFigures, strategy: StrategyName, ratio: number): IdealPipeline {
  const l = n.limits;
  return idealPipeline([
    { stage: 'read (file)', figure: l.read, share: ratio },
    { stage: 'blob digest (hash-wasm)', figure: l.blobDigest, share: ratio },
    { stage: 'inflate (fflate)', figure: l.inflateFflate, share: 1 },
    { stage: 'diffID (hash-wasm)', figure: l.hashWasmStreaming, share: 1 },
    { stage: 'tar parse', figure: l.tarParse, share: 1 },
    { stage: `cut (${strategy})`, figure: l.cut[strategy], share: 1 },
    { stage: 'chunk hash (hash-wasm)', figure: l.chunkHash, share: 1 },
    { stage: 'FsChunkStore putMany', figure: l.putMany, share: 1 },
  ]);
}

export interface IngestComparison {
  side: 'chromium' | 'node';
  strategy: StrategyName;
  workers: number;
  rate: number;
  ideal: number;
  ratioToIdeal: number;
  /** Ideal when the layers limit how much the workers can share. */
  idealLayerBound: number;
}

export interface EStargzComparison {
  ownSeconds: number;
  librarySeconds: number;
  timeRatio: number;
  ownBytes: number;
  libraryBytes: number;
  sizeRatio: number;
}

export interface Aims {
  ingestVsIdeal?: { ratio: number; aim: 0.8; met: boolean };
  ingestVsCasync?: { ratio: number; aim: 2; met: boolean };
  memory?: {
    rssIncrease: number;
    heapIncrease: number;
    /** Growth of the renderer's RSS from its start to its peak, double image over base. */
    rssIncreaseAboveStart: number;
    aim: 0.1;
    met: boolean;
  };
  estargzTime?: { ratio: number; aim: 0.5; met: boolean };
  estargzSize?: { ratio: number; aim: 1.01; met: boolean };
}

export interface Derived {
  browserIdeal?: Record<StrategyName, IdealPipeline>;
  nodeIdeal?: Record<StrategyName, IdealPipeline>;
  ingest: IngestComparison[];
  estargz?: EStargzComparison;
  aims: Aims;
  biggestCost?: string;
}

export interface Measured {
  browser?: BrowserFigures;
  node?: NodeFigures;
  own?: OwnBuild;
  library?: LibraryBuild;
  casync?: CasyncFigures;
  cores: number;
}

function perStrategy<T>(make: (s: StrategyName) => T): Record<StrategyName, T> {
  return Object.fromEntries(STRATEGY_NAMES.map((s) => [s, make(s)])) as Record<StrategyName, T>;
}

function deriveBrowser(m: Measured, b: BrowserFigures, derived: Derived): void {
  const ideals = perStrategy((s) => browserIdeal(b, s));
  derived.browserIdeal = ideals;
  derived.biggestCost = ideals['content-defined'].biggestCost;
  const layerBytes = b.limits.layers.map((layer) => layer.uncompressedBytes);
  for (const run of b.ingest) {
    const perCore = ideals[run.strategy].perCore;
    const ideal = perCore * run.workers;
    const measured = run.uncompressedBytes / MB / run.seconds;
    derived.ingest.push({
      side: 'chromium',
      strategy: run.strategy,
      workers: run.workers,
      rate: measured,
      ideal,
      ratioToIdeal: measured / ideal,
      idealLayerBound: perCore / layerBound(layerBytes, run.workers),
    });
  }

  const full = derived.ingest.filter((c) => c.side === 'chromium' && c.workers === m.cores);
  if (full.length > 0) {
    const worst = full.reduce((x, y) => (y.ratioToIdeal < x.ratioToIdeal ? y : x));
    derived.aims.ingestVsIdeal = { ratio: worst.ratioToIdeal, aim: 0.8, met: worst.ratioToIdeal >= 0.8 };
  }
  const cdc = full.find((c) => c.strategy === 'content-defined');
  if (cdc && m.casync) {
    const ratio = cdc.rate / (m.casync.inBytes / MB / m.casync.seconds);
    derived.aims.ingestVsCasync = { ratio, aim: 2, met: ratio >= 2 };
  }

  const [base, double] = b.memory;
  if (base && double) {
    const rssIncrease = double.memory.rendererRSSPeak / base.memory.rendererRSSPeak - 1;
    const heapIncrease = double.memory.totalHeapPeak / base.memory.totalHeapPeak - 1;
    const grown = (entry: typeof base) => entry.memory.rendererRSSPeak - entry.memory.rendererRSSBefore;
    derived.aims.memory = {
      rssIncrease,
      heapIncrease,
      rssIncreaseAboveStart: grown(double) / grown(base) - 1,
      aim: 0.1,
      met: rssIncrease < 0.1 && heapIncrease < 0.1,
    };
  }
}

function deriveNode(n: NodeFigures, derived: Derived): void {
  const first = n.ingest[0];
  const ratio = first ? first.compressedBytes / first.uncompressedBytes : 1;
  const ideals = perStrategy((s) => nodeIdeal(n, s, ratio));
  derived.nodeIdeal = ideals;
  for (const run of n.ingest) {
    const ideal = ideals[run.strategy].perCore;
    const measured = run.uncompressedBytes / MB / run.seconds;
    derived.ingest.push({
      side: 'node',
      strategy: run.strategy,
      workers: 1,
      rate: measured,
      ideal,
      ratioToIdeal: measured / ideal,
      idealLayerBound: ideal,
    });
  }
}

function deriveEStargz(own: OwnBuild, library: LibraryBuild, derived: Derived): void {
  const ownBytes = own.layers.reduce((sum, layer) => sum + layer.outBytes, 0);
  const libraryBytes = library.layers.reduce((sum, layer) => sum + layer.outBytes, 0);
  const comparison: EStargzComparison = {
    ownSeconds: own.layersSeconds,
    librarySeconds: library.seconds,
    timeRatio: own.layersSeconds / library.seconds,
    ownBytes,
    libraryBytes,
    sizeRatio: ownBytes / libraryBytes,
  };
  derived.estargz = comparison;
  derived.aims.estargzTime = { ratio: comparison.timeRatio, aim: 0.5, met: comparison.timeRatio <= 0.5 };
  derived.aims.estargzSize = { ratio: comparison.sizeRatio, aim: 1.01, met: comparison.sizeRatio <= 1.01 };
}

/** Computes the ideals, ratios and aims from the measured figures. */
export function derive(m: Measured): Derived {
  const derived: Derived = { ingest: [], aims: {} };
  if (m.browser) deriveBrowser(m, m.browser, derived);
  if (m.node) deriveNode(m.node, derived);
  if (m.own && m.library) deriveEStargz(m.own, m.library, derived);
  return derived;
}
