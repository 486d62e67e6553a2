import type { ImageFigures, StrategyComparison } from '#/lib/core/compare/types';
import { formatBytes, formatDuration } from '#/lib/core/format';

/** One row of the figures table: one image under one strategy. */
export interface FigureRow {
  strategy: StrategyComparison;
  figures: ImageFigures;
  /** Position in the comparison's own order, the tie-breaker of every sort. */
  order: number;
  /** Image name as the table shows it, from shortImageNames. */
  shortName: string;
}

export interface FigureColumn {
  key: string;
  label: string;
  /** Header tooltip: what the figure counts. */
  title: string;
  numeric: boolean;
  /** Value that the column sorts by. */
  value: (row: FigureRow) => number | string;
  /** Text of the cell. */
  text: (row: FigureRow) => string;
  /** Tooltip of the cell, when the text leaves something out. */
  tooltip?: (row: FigureRow) => string;
}

function bytesColumn(
  key: string,
  label: string,
  title: string,
  pick: (figures: ImageFigures) => number,
): FigureColumn {
  return {
    key,
    label,
    title,
    numeric: true,
    value: (row) => pick(row.figures),
    text: (row) => formatBytes(Math.round(pick(row.figures))),
  };
}

function countColumn(
  key: string,
  label: string,
  title: string,
  pick: (figures: ImageFigures) => number,
): FigureColumn {
  return { key, label, title, numeric: true, value: (row) => pick(row.figures), text: (row) => String(pick(row.figures)) };
}

/** Returns MB/s (10^6 bytes per second) with one decimal, or a dash when no time was measured. */
export function formatMBps(bytesPerSecond: number): string {
  return bytesPerSecond > 0 ? (bytesPerSecond / 1e6).toFixed(1) : '–';
}

/** Columns of the figures table, in the command line's order plus the time. */
export const FIGURE_COLUMNS: readonly FigureColumn[] = [
  {
    key: 'strategy',
    label: 'Strategy',
    title: 'Chunking strategy and its sizes',
    numeric: false,
    value: (row) => row.order,
    text: (row) => row.strategy.label,
  },
  {
    key: 'image',
    label: 'Image',
    title: 'Image name',
    numeric: false,
    value: (row) => row.figures.imageName,
    text: (row) => row.shortName,
    tooltip: (row) => row.figures.imageName,
  },
  countColumn('chunks', 'Chunks', 'Chunks over all layers, repeats included', (f) => f.chunkCount),
  countColumn('distinct', 'Distinct', 'Chunks with different digests', (f) => f.distinctChunks),
  bytesColumn('min', 'Min', 'Smallest chunk', (f) => f.sizes.min),
  bytesColumn('median', 'Median', 'Median chunk size (nearest rank)', (f) => f.sizes.median),
  bytesColumn('mean', 'Mean', 'Mean chunk size', (f) => f.sizes.mean),
  bytesColumn('p95', 'p95', '95th percentile chunk size (nearest rank)', (f) => f.sizes.p95),
  bytesColumn('max', 'Max', 'Largest chunk', (f) => f.sizes.max),
  bytesColumn('stored', 'Stored', 'Bytes of the distinct chunks: what the image alone takes in a store', (f) => f.storedBytes),
  {
    key: 'dedup',
    label: 'Dedup',
    title: 'Uncompressed bytes divided by stored bytes',
    numeric: true,
    value: (row) => row.figures.dedupRatio,
    text: (row) => row.figures.dedupRatio.toFixed(2),
  },
  bytesColumn('shared', 'Shared', 'Bytes of this image’s chunks that another compared image also has', (f) => f.sharedBytes),
  {
    key: 'rate',
    label: 'MB/s',
    title: 'Uncompressed megabytes (10^6 bytes) indexed per second',
    numeric: true,
    value: (row) => row.figures.bytesPerSecond,
    text: (row) => formatMBps(row.figures.bytesPerSecond),
  },
  {
    key: 'time',
    label: 'Time',
    title: 'Wall-clock time of indexing the image with this strategy',
    numeric: true,
    value: (row) => row.figures.seconds,
    text: (row) => (row.figures.seconds > 0 ? formatDuration(row.figures.seconds) : '–'),
  },
];
