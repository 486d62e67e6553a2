/** Comparison inputs from stored image records, shared by the page and the command line. */
import type { StrategyParams } from '../chunk/strategy';
import type { ImageRecord, LayerIndex } from '../layer-index';
import type { StrategyRun } from './types';

const KIB = 1024;

/**
 * Strategies a comparison uses unless the caller picks others: fixed-size at
 * 16, 64 and 256 KiB, file-boundary at 64 KiB, and content-defined at 16, 64
 * and 256 KiB average with minimum avg/4 and maximum avg*4.
 */
export const DEFAULT_COMPARE_STRATEGIES: readonly StrategyParams[] = [
  { name: 'fixed-size', chunkSize: 16 * KIB },
  { name: 'fixed-size', chunkSize: 64 * KIB },
  { name: 'fixed-size', chunkSize: 256 * KIB },
  { name: 'file-boundary', chunkSize: 64 * KIB },
  { name: 'content-defined', min: 4 * KIB, avg: 16 * KIB, max: 64 * KIB },
  { name: 'content-defined', min: 16 * KIB, avg: 64 * KIB, max: 256 * KIB },
  { name: 'content-defined', min: 64 * KIB, avg: 256 * KIB, max: 1024 * KIB },
];

/** Returns the name an image goes by in a comparison: its first tag, else its archive name. */
export function comparedImageName(record: Pick<ImageRecord, 'repoTags' | 'sourceName'>): string {
  return record.repoTags[0] ?? record.sourceName;
}

/** Builds one comparison run from an image record and its layer indexes, in layer order. */
export function strategyRun(
  record: ImageRecord,
  indexes: readonly LayerIndex[],
  seconds: number,
): StrategyRun {
  return {
    imageName: comparedImageName(record),
    strategy: record.strategy,
    layers: indexes.map((index) => ({ chunks: index.chunks })),
    seconds,
    bytesIn: record.layers.reduce((total, layer) => total + layer.size, 0),
  };
}
