/**
 * Inputs and results of the strategy comparison. Byte counts are exact
 * integers; ratios and means are plain divisions of them.
 */
import type { StrategyParams } from '../chunk/strategy';

/** The chunk list of one layer, as its layer index records it. */
export interface ComparedLayer {
  chunks: readonly { digest: string; size: number }[];
}

/** One image indexed with one strategy. */
export interface StrategyRun {
  imageName: string;
  strategy: StrategyParams;
  layers: readonly ComparedLayer[];
  /** Wall-clock seconds that indexing the image took. */
  seconds: number;
  /** Uncompressed layer bytes chunked while indexing the image. */
  bytesIn: number;
}

/** Chunk sizes in bytes over every chunk of an image, repeats included. */
export interface SizeSummary {
  /** Smallest chunk. */
  min: number;
  /** Nearest-rank 50th percentile: the lower middle size for an even count. */
  median: number;
  /** Total bytes divided by chunk count. */
  mean: number;
  /** Nearest-rank 95th percentile: the size at rank ceil(0.95 * count). */
  p95: number;
  /** Largest chunk. */
  max: number;
}

/**
 * Chunk counts by log2 size bucket: `counts[k]` counts chunks whose size lies
 * in [2^(firstLog2 + k), 2^(firstLog2 + k + 1)), and a 0-byte chunk counts in
 * bucket 0. The buckets run from the first to the last non-empty one.
 */
export interface SizeHistogram {
  firstLog2: number;
  counts: number[];
}

/** Figures of one image under one strategy. */
export interface ImageFigures {
  /** Position of the image in `Comparison.images`. */
  image: number;
  imageName: string;
  /** Layers of the image. */
  layerCount: number;
  /** Chunks over all layers, repeats included. */
  chunkCount: number;
  /** Chunks with different digests. */
  distinctChunks: number;
  /** Sum of all chunk sizes: the uncompressed size of all layers. */
  totalBytes: number;
  /** Sum of the distinct chunks' sizes: what the image alone takes in a chunk store. */
  storedBytes: number;
  /** totalBytes / storedBytes; 1 for an image without bytes. */
  dedupRatio: number;
  /** Bytes of this image's distinct chunks that another image of the comparison also has. */
  sharedBytes: number;
  /** Chunk-size statistics over every chunk, repeats included. */
  sizes: SizeSummary;
  /** Chunk-size histogram; left out when a share link dropped histograms. */
  histogram?: SizeHistogram;
  /** Wall-clock seconds of indexing, as the run gave them (whole milliseconds from a link). */
  seconds: number;
  /** Uncompressed layer bytes chunked, as the run gave them. */
  bytesIn: number;
  /** bytesIn / seconds; 0 when no time was measured. */
  bytesPerSecond: number;
}

/** Figures of one strategy over every image it indexed. */
export interface StrategyComparison {
  strategy: StrategyParams;
  /** The strategy's text form, as `formatStrategy` writes it. */
  label: string;
  /** Images this strategy indexed, in the order of `Comparison.images`. */
  images: ImageFigures[];
  /**
   * `updateCosts[a][b]`: bytes of `images[b]`'s distinct chunks that a machine
   * holding `images[a]` lacks, so the bytes it fetches to update from a to b.
   * Left out when a share link dropped them.
   */
  updateCosts?: number[][];
  totals: StrategyTotals;
}

/**
 * Sums over all images of one strategy; `storedBytes` and `distinctChunks`
 * count a chunk that several images share once.
 */
export interface StrategyTotals {
  /** Chunks of all images, repeats included. */
  chunkCount: number;
  /** Distinct chunks over all images together. */
  distinctChunks: number;
  /** Uncompressed bytes of all images. */
  totalBytes: number;
  /** Bytes that all the images together take in one chunk store. */
  storedBytes: number;
  /** totalBytes / storedBytes; 1 without bytes. */
  dedupRatio: number;
  /** Sum of the images' seconds. */
  seconds: number;
  /** Sum of the images' bytesIn. */
  bytesIn: number;
  /** bytesIn / seconds over all images; 0 when no time was measured. */
  bytesPerSecond: number;
}

/** Every strategy's figures; strategies in order of first appearance in the input. */
export interface Comparison {
  /** Image names in order of first appearance in the input. */
  images: string[];
  strategies: StrategyComparison[];
}
