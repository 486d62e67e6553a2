/**
 * Strategy comparison: for each strategy and image, figures over the chunk
 * lists of its layer indexes (see ./types for what each figure means). The
 * result depends only on the input, in its order, so equal inputs give equal
 * results and equal share links.
 */
import { formatStrategy, validateStrategy } from '../chunk/params';
import { InvalidInputError } from '../errors';
import { sizeHistogram, summarizeSizes } from './size-figures';
import type {
  Comparison,
  ImageFigures,
  StrategyComparison,
  StrategyRun,
  StrategyTotals,
} from './types';

/** Chunks of one image under one strategy. */
interface ImageChunks {
  run: StrategyRun;
  image: number;
  /** Distinct chunk digests and their sizes. */
  distinct: Map<string, number>;
  /** Every chunk size, repeats included, ascending. */
  sizes: Float64Array;
  totalBytes: number;
  storedBytes: number;
}

/**
 * Returns the figures of every strategy over the images it indexed. Throws
 * InvalidInputError for a malformed run, a repeated image and strategy pair,
 * or a chunk digest recorded with two different sizes.
 */
export function compareStrategies(runs: readonly StrategyRun[]): Comparison {
  runs.forEach(validateRun);
  const images: string[] = [];
  const groups = new Map<string, StrategyRun[]>();
  for (const run of runs) {
    if (!images.includes(run.imageName)) images.push(run.imageName);
    const label = formatStrategy(run.strategy);
    const group = groups.get(label) ?? [];
    if (group.some((other) => other.imageName === run.imageName)) {
      throw new InvalidInputError(
        `comparing strategies: image ${JSON.stringify(run.imageName)} appears twice for strategy ${label}`,
      );
    }
    group.push(run);
    groups.set(label, group);
  }
  const strategies = [...groups].map(([label, group]) =>
    compareStrategy(label, group, images),
  );
  return { images, strategies };
}

function compareStrategy(
  label: string,
  runs: StrategyRun[],
  images: string[],
): StrategyComparison {
  const sizeOf = new Map<string, number>();
  const members = runs
    .map((run) => collectChunks(run, images.indexOf(run.imageName), sizeOf))
    .sort((a, b) => a.image - b.image);
  const holders = countHolders(members);
  return {
    strategy: validateStrategy(runs[0].strategy),
    label,
    images: members.map((member) => imageFigures(member, holders)),
    updateCosts: members.map((from) => members.map((to) => updateCost(from, to))),
    totals: strategyTotals(members, sizeOf),
  };
}

function collectChunks(
  run: StrategyRun,
  image: number,
  sizeOf: Map<string, number>,
): ImageChunks {
  let count = 0;
  for (const layer of run.layers) count += layer.chunks.length;
  const sizes = new Float64Array(count);
  const distinct = new Map<string, number>();
  let totalBytes = 0;
  let storedBytes = 0;
  let at = 0;
  for (const layer of run.layers) {
    for (const { digest, size } of layer.chunks) {
      checkChunk(run, digest, size, sizeOf);
      sizes[at++] = size;
      totalBytes += size;
      if (!distinct.has(digest)) {
        distinct.set(digest, size);
        storedBytes += size;
      }
    }
  }
  sizes.sort();
  return { run, image, distinct, sizes, totalBytes, storedBytes };
}

/** Returns how many images of the strategy hold each digest. */
function countHolders(members: ImageChunks[]): Map<string, number> {
  const holders = new Map<string, number>();
  for (const member of members) {
    for (const digest of member.distinct.keys()) {
      holders.set(digest, (holders.get(digest) ?? 0) + 1);
    }
  }
  return holders;
}

function imageFigures(
  member: ImageChunks,
  holders: Map<string, number>,
): ImageFigures {
  const { run, distinct, sizes, totalBytes, storedBytes } = member;
  let sharedBytes = 0;
  for (const [digest, size] of distinct) {
    if ((holders.get(digest) ?? 0) > 1) sharedBytes += size;
  }
  return {
    image: member.image,
    imageName: run.imageName,
    layerCount: run.layers.length,
    chunkCount: sizes.length,
    distinctChunks: distinct.size,
    totalBytes,
    storedBytes,
    dedupRatio: ratio(totalBytes, storedBytes),
    sharedBytes,
    sizes: summarizeSizes(sizes, totalBytes),
    histogram: sizeHistogram(sizes),
    seconds: run.seconds,
    bytesIn: run.bytesIn,
    bytesPerSecond: rate(run.bytesIn, run.seconds),
  };
}

/** Returns the bytes of `to`'s distinct chunks that `from` lacks. */
function updateCost(from: ImageChunks, to: ImageChunks): number {
  if (from === to) return 0;
  let bytes = 0;
  for (const [digest, size] of to.distinct) {
    if (!from.distinct.has(digest)) bytes += size;
  }
  return bytes;
}

function strategyTotals(
  members: ImageChunks[],
  sizeOf: Map<string, number>,
): StrategyTotals {
  let chunkCount = 0;
  let totalBytes = 0;
  let storedBytes = 0;
  let seconds = 0;
  let bytesIn = 0;
  for (const member of members) {
    chunkCount += member.sizes.length;
    totalBytes += member.totalBytes;
    seconds += member.run.seconds;
    bytesIn += member.run.bytesIn;
  }
  for (const size of sizeOf.values()) storedBytes += size;
  return {
    chunkCount,
    distinctChunks: sizeOf.size,
    totalBytes,
    storedBytes,
    dedupRatio: ratio(totalBytes, storedBytes),
    seconds,
    bytesIn,
    bytesPerSecond: rate(bytesIn, seconds),
  };
}

/** Returns total / stored, or 1 when nothing is stored. */
export function ratio(totalBytes: number, storedBytes: number): number {
  return storedBytes === 0 ? 1 : totalBytes / storedBytes;
}

/** Returns bytes / seconds, or 0 when no time was measured. */
export function rate(bytes: number, seconds: number): number {
  return seconds > 0 ? bytes / seconds : 0;
}

function validateRun(run: StrategyRun, index: number): void {
  const where = `comparing strategies: run ${index}`;
  if (typeof run.imageName !== 'string' || run.imageName === '') {
    throw new InvalidInputError(`${where}: imageName must be a non-empty string`);
  }
  validateStrategy(run.strategy);
  if (!Number.isFinite(run.seconds) || run.seconds < 0) {
    throw new InvalidInputError(
      `${where} (${run.imageName}): seconds must be a finite number >= 0, got ${run.seconds}`,
    );
  }
  if (!Number.isSafeInteger(run.bytesIn) || run.bytesIn < 0) {
    throw new InvalidInputError(
      `${where} (${run.imageName}): bytesIn must be a whole number >= 0, got ${run.bytesIn}`,
    );
  }
}

function checkChunk(
  run: StrategyRun,
  digest: string,
  size: number,
  sizeOf: Map<string, number>,
): void {
  const where = `comparing strategies: image ${JSON.stringify(run.imageName)}`;
  if (typeof digest !== 'string' || digest === '') {
    throw new InvalidInputError(`${where}: chunk digest must be a non-empty string`);
  }
  if (!Number.isSafeInteger(size) || size < 0) {
    throw new InvalidInputError(
      `${where}: chunk ${digest} has invalid size ${size}`,
    );
  }
  const known = sizeOf.get(digest);
  if (known === undefined) sizeOf.set(digest, size);
  else if (known !== size) {
    throw new InvalidInputError(
      `${where}: chunk ${digest} has size ${size} here and ${known} elsewhere`,
    );
  }
}
