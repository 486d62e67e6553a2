/**
 * Version 1 body of a share link, before deflate: a comparison as varints.
 * Figures that follow from others (ratios, means, rates, sums) are left out
 * and computed again on unpacking. Seconds are kept in whole milliseconds.
 *
 * Layout, every number an unsigned LEB128 varint:
 *   flags (bit 0 image names, bit 1 histograms, bit 2 update costs)
 *   image count, then with names: each name as byte length + UTF-8
 *   strategy count, then per strategy:
 *     kind (0 fixed-size, 1 file-boundary, 2 content-defined), then
 *     chunkSize, or min, avg, max
 *     total distinct chunks, total stored bytes
 *     image count, then per image:
 *       image position, layers, chunks, distinct chunks, total bytes,
 *       stored bytes, shared bytes, min, median, p95, max size,
 *       milliseconds, bytes in
 *       with histograms: first log2, bucket count, each count
 *     with update costs: each a-to-b cost for a != b, row by row
 */
import { formatStrategy, validateStrategy } from '../chunk/params';
import type { StrategyName, StrategyParams } from '../chunk/strategy';
import { rate, ratio } from './compare';
import { ByteFormatError, ByteReader, ByteWriter } from './link-bytes';
import type {
  Comparison,
  ImageFigures,
  SizeHistogram,
  StrategyComparison,
} from './types';

/** Parts of a comparison that a share link may leave out. */
export interface PackedParts {
  names: boolean;
  histograms: boolean;
  updateCosts: boolean;
}

const FLAG_NAMES = 1;
const FLAG_HISTOGRAMS = 2;
const FLAG_UPDATE_COSTS = 4;
const KNOWN_FLAGS = FLAG_NAMES | FLAG_HISTOGRAMS | FLAG_UPDATE_COSTS;

/** Strategy kinds by their number in the link; the numbers never change. */
const KINDS: readonly StrategyName[] = ['fixed-size', 'file-boundary', 'content-defined'];

/** Returns the version 1 body of `comparison` with the chosen parts. */
export function packComparison(comparison: Comparison, parts: PackedParts): Uint8Array {
  const out = new ByteWriter();
  out.varint(
    (parts.names ? FLAG_NAMES : 0) |
      (parts.histograms ? FLAG_HISTOGRAMS : 0) |
      (parts.updateCosts ? FLAG_UPDATE_COSTS : 0),
  );
  out.varint(comparison.images.length);
  if (parts.names) comparison.images.forEach((name) => out.text(name));
  out.varint(comparison.strategies.length);
  for (const strategy of comparison.strategies) packStrategy(out, strategy, parts);
  return out.finish();
}

function packStrategy(
  out: ByteWriter,
  strategy: StrategyComparison,
  parts: PackedParts,
): void {
  const params = strategy.strategy;
  out.varint(KINDS.indexOf(params.name));
  if (params.name === 'content-defined') {
    [params.min, params.avg, params.max].forEach((size) => out.varint(size));
  } else {
    out.varint(params.chunkSize);
  }
  out.varint(strategy.totals.distinctChunks);
  out.varint(strategy.totals.storedBytes);
  out.varint(strategy.images.length);
  for (const image of strategy.images) packImage(out, image, parts);
  if (!parts.updateCosts) return;
  const costs = strategy.updateCosts;
  if (costs === undefined) throw new RangeError('share link: update costs are missing');
  costs.forEach((row, a) =>
    row.forEach((bytes, b) => {
      if (a !== b) out.varint(bytes);
    }),
  );
}

function packImage(out: ByteWriter, image: ImageFigures, parts: PackedParts): void {
  const { sizes } = image;
  const numbers = [
    image.image, image.layerCount, image.chunkCount, image.distinctChunks,
    image.totalBytes, image.storedBytes, image.sharedBytes,
    sizes.min, sizes.median, sizes.p95, sizes.max,
    Math.round(image.seconds * 1000), image.bytesIn,
  ];
  numbers.forEach((value) => out.varint(value));
  if (!parts.histograms) return;
  const histogram = image.histogram;
  if (histogram === undefined) throw new RangeError('share link: a histogram is missing');
  out.varint(histogram.firstLog2);
  out.varint(histogram.counts.length);
  histogram.counts.forEach((count) => out.varint(count));
}

/** Returns the comparison in a version 1 body; throws ByteFormatError. */
export function unpackComparison(body: Uint8Array): { comparison: Comparison; names: boolean } {
  const input = new ByteReader(body);
  const flags = input.varint();
  if ((flags & ~KNOWN_FLAGS) !== 0) invalid(`unknown flags ${flags}`);
  const parts: PackedParts = {
    names: (flags & FLAG_NAMES) !== 0,
    histograms: (flags & FLAG_HISTOGRAMS) !== 0,
    updateCosts: (flags & FLAG_UPDATE_COSTS) !== 0,
  };
  const imageCount = input.varint();
  const images = Array.from({ length: imageCount }, (_, i) =>
    parts.names ? input.text() : `image ${i + 1}`,
  );
  const strategyCount = input.varint();
  const strategies = Array.from({ length: strategyCount }, () =>
    unpackStrategy(input, parts, images),
  );
  if (input.remaining > 0) invalid(`${input.remaining} bytes after the last strategy`);
  return { comparison: { images, strategies }, names: parts.names };
}

function unpackStrategy(
  input: ByteReader,
  parts: PackedParts,
  names: string[],
): StrategyComparison {
  const strategy = unpackParams(input);
  const distinctChunks = input.varint();
  const storedBytes = input.varint();
  const count = input.varint();
  if (count > names.length) invalid(`strategy with ${count} of ${names.length} images`);
  const images: ImageFigures[] = [];
  for (let i = 0; i < count; i++) {
    const image = unpackImage(input, parts, names);
    if (i > 0 && image.image <= images[i - 1].image) invalid('images out of order');
    images.push(image);
  }
  const result: StrategyComparison = {
    strategy,
    label: formatStrategy(strategy),
    images,
    totals: unpackTotals(images, distinctChunks, storedBytes),
  };
  if (parts.updateCosts) {
    result.updateCosts = images.map((_, a) =>
      images.map((__, b) => (a === b ? 0 : input.varint())),
    );
  }
  return result;
}

function unpackParams(input: ByteReader): StrategyParams {
  const kind = KINDS[input.varint()];
  if (kind === undefined) invalid('unknown strategy kind');
  try {
    if (kind === 'content-defined') {
      const [min, avg, max] = [input.varint(), input.varint(), input.varint()];
      return validateStrategy({ name: kind, min, avg, max });
    }
    return validateStrategy({ name: kind, chunkSize: input.varint() });
  } catch (error) {
    if (error instanceof ByteFormatError) throw error;
    throw new ByteFormatError(`invalid strategy: ${(error as Error).message}`, false);
  }
}

function unpackImage(input: ByteReader, parts: PackedParts, names: string[]): ImageFigures {
  const [
    image, layerCount, chunkCount, distinctChunks, totalBytes, storedBytes,
    sharedBytes, min, median, p95, max, milliseconds, bytesIn,
  ] = Array.from({ length: 13 }, () => input.varint());
  if (image >= names.length) invalid(`image position ${image} of ${names.length}`);
  const seconds = milliseconds / 1000;
  const figures: ImageFigures = {
    image,
    imageName: names[image],
    layerCount,
    chunkCount,
    distinctChunks,
    totalBytes,
    storedBytes,
    dedupRatio: ratio(totalBytes, storedBytes),
    sharedBytes,
    sizes: { min, median, mean: chunkCount === 0 ? 0 : totalBytes / chunkCount, p95, max },
    seconds,
    bytesIn,
    bytesPerSecond: rate(bytesIn, seconds),
  };
  if (parts.histograms) figures.histogram = unpackHistogram(input, chunkCount);
  return figures;
}

function unpackHistogram(input: ByteReader, chunkCount: number): SizeHistogram {
  const firstLog2 = input.varint();
  const length = input.varint();
  if (firstLog2 + length > 64) invalid(`histogram of ${length} buckets from 2^${firstLog2}`);
  const counts = Array.from({ length }, () => input.varint());
  const sum = counts.reduce((total, count) => total + count, 0);
  if (sum !== chunkCount) invalid(`histogram counts ${sum} of ${chunkCount} chunks`);
  return { firstLog2, counts };
}

function unpackTotals(
  images: ImageFigures[],
  distinctChunks: number,
  storedBytes: number,
): StrategyComparison['totals'] {
  const sum = (pick: (image: ImageFigures) => number) =>
    images.reduce((total, image) => total + pick(image), 0);
  const totalBytes = sum((image) => image.totalBytes);
  const seconds = sum((image) => image.seconds);
  const bytesIn = sum((image) => image.bytesIn);
  return {
    chunkCount: sum((image) => image.chunkCount),
    distinctChunks,
    totalBytes,
    storedBytes,
    dedupRatio: ratio(totalBytes, storedBytes),
    seconds,
    bytesIn,
    bytesPerSecond: rate(bytesIn, seconds),
  };
}

function invalid(message: string): never {
  throw new ByteFormatError(message, false);
}
