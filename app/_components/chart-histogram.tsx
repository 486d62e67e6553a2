import type { StrategyComparison } from '#/lib/core/compare/types';
import { formatBytes } from '#/lib/core/format';
import { imageColor } from './chart-legend';

const WIDTH = 360;
const HEIGHT = 180;
const MARGIN = { top: 12, right: 8, bottom: 40, left: 40 };

/** Returns a bucket's lower bound in a short form: 512, 4K, 1M. */
function shortSize(log2: number): string {
  if (log2 < 10) return String(2 ** log2);
  if (log2 < 20) return `${2 ** (log2 - 10)}K`;
  return `${2 ** (log2 - 20)}M`;
}

/** Returns the first and last log2 bucket over every image of the strategy. */
function bucketRange(strategy: StrategyComparison): [number, number] | undefined {
  let first = Infinity;
  let last = -Infinity;
  for (const { histogram } of strategy.images) {
    if (!histogram || histogram.counts.length === 0) continue;
    first = Math.min(first, histogram.firstLog2);
    last = Math.max(last, histogram.firstLog2 + histogram.counts.length - 1);
  }
  return Number.isFinite(first) ? [first, last] : undefined;
}

/** Renders chunk counts by log2 size bucket for one strategy, one bar per image in each bucket. */
export function ChartHistogram({ strategy }: { strategy: StrategyComparison }) {
  const range = bucketRange(strategy);
  if (!range) return <p className="muted">No chunk sizes for {strategy.label}.</p>;
  const [first, last] = range;
  const buckets = last - first + 1;
  const countAt = (i: number, log2: number) => {
    const h = strategy.images[i].histogram;
    return h ? h.counts[log2 - h.firstLog2] ?? 0 : 0;
  };
  let maxCount = 1;
  for (let log2 = first; log2 <= last; log2++) {
    strategy.images.forEach((_, i) => (maxCount = Math.max(maxCount, countAt(i, log2))));
  }
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  const group = plotWidth / buckets;
  const bar = (group * 0.8) / strategy.images.length;
  const labelEvery = Math.ceil(buckets / 10);
  const y = (count: number) => MARGIN.top + plotHeight - (count / maxCount) * plotHeight;

  return (
    <figure className="chart">
      <figcaption>{strategy.label}</figcaption>
      <svg
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        width={WIDTH}
        height={HEIGHT}
        role="img"
        aria-label={`Chunk-size histogram of ${strategy.label}`}
      >
        <line x1={MARGIN.left} x2={WIDTH - MARGIN.right} y1={y(0)} y2={y(0)} className="axis" />
        <text x={MARGIN.left - 4} y={y(maxCount) + 4} textAnchor="end" className="tick">
          {maxCount}
        </text>
        <text x={MARGIN.left - 4} y={y(0)} textAnchor="end" className="tick">
          0
        </text>
        {Array.from({ length: buckets }, (_, k) => {
          const log2 = first + k;
          const x0 = MARGIN.left + k * group + group * 0.1;
          return (
            <g key={log2}>
              {strategy.images.map((figures, i) => {
                const count = countAt(i, log2);
                return (
                  <rect key={figures.image} x={x0 + i * bar} y={y(count)} width={Math.max(bar - 1, 1)}
                    height={y(0) - y(count)} fill={imageColor(figures.image)}>
                    <title>
                      {`${figures.imageName}: ${count} chunks from ${formatBytes(2 ** log2)} to under ${formatBytes(2 ** (log2 + 1))}`}
                    </title>
                  </rect>
                );
              })}
              {k % labelEvery === 0 && (
                <text x={x0 + (group * 0.8) / 2} y={y(0) + 14} textAnchor="middle" className="tick">
                  {shortSize(log2)}
                </text>
              )}
            </g>
          );
        })}
        <text x={MARGIN.left + plotWidth / 2} y={HEIGHT - 6} textAnchor="middle" className="axis-label">
          chunk size, bytes (log2 buckets)
        </text>
        <text transform={`translate(12 ${MARGIN.top + plotHeight / 2}) rotate(-90)`} textAnchor="middle"
          className="axis-label">
          chunks
        </text>
      </svg>
    </figure>
  );
}
