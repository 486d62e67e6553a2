/** Chunk-size summaries and log2 histograms for the strategy comparison. */
import type { SizeHistogram, SizeSummary } from './types';

/** Returns the nearest-rank percentile `p` (0 < p <= 100) of ascending sizes. */
export function nearestRank(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.max(rank, 1) - 1];
}

/** Returns min, median, mean, p95 and max of sizes sorted in ascending order. */
export function summarizeSizes(sorted: Float64Array, totalBytes: number): SizeSummary {
  const count = sorted.length;
  if (count === 0) return { min: 0, median: 0, mean: 0, p95: 0, max: 0 };
  return {
    min: sorted[0],
    median: nearestRank(sorted, 50),
    mean: totalBytes / count,
    p95: nearestRank(sorted, 95),
    max: sorted[count - 1],
  };
}

/** Returns floor(log2(size)), with 0 for sizes 0 and 1. */
export function log2Bucket(size: number): number {
  if (size < 2) return 0;
  if (size < 0x1_0000_0000) return 31 - Math.clz32(size);
  return Math.floor(Math.log2(size));
}

/** Returns the log2 histogram of sizes sorted in ascending order. */
export function sizeHistogram(sorted: Float64Array): SizeHistogram {
  if (sorted.length === 0) return { firstLog2: 0, counts: [] };
  const firstLog2 = log2Bucket(sorted[0]);
  const lastLog2 = log2Bucket(sorted[sorted.length - 1]);
  const counts = new Array<number>(lastLog2 - firstLog2 + 1).fill(0);
  for (const size of sorted) counts[log2Bucket(size) - firstLog2]++;
  return { firstLog2, counts };
}
