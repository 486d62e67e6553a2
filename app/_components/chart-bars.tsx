const WIDTH = 640;
const ROW_HEIGHT = 24;
const LABEL_WIDTH = 250;
const VALUE_WIDTH = 80;

export interface BarItem {
  label: string;
  value: number;
  /** Text shown after the bar. */
  text: string;
  color?: string;
}

/** Renders horizontal bars, one per item, scaled to the largest value. */
export function ChartBars({ label, items }: { label: string; items: BarItem[] }) {
  const max = Math.max(1, ...items.map((item) => item.value));
  const plotWidth = WIDTH - LABEL_WIDTH - VALUE_WIDTH;
  const height = items.length * ROW_HEIGHT + 4;
  return (
    <svg viewBox={`0 0 ${WIDTH} ${height}`} width={WIDTH} height={height} role="img" aria-label={label}
      className="chart-bars">
      {items.map((item, i) => {
        const top = i * ROW_HEIGHT + 2;
        const width = (item.value / max) * plotWidth;
        return (
          <g key={item.label}>
            <text x={LABEL_WIDTH - 8} y={top + ROW_HEIGHT / 2 + 4} textAnchor="end" className="tick">
              {item.label}
            </text>
            <rect x={LABEL_WIDTH} y={top + 3} width={Math.max(width, 1)} height={ROW_HEIGHT - 6}
              fill={item.color ?? '#1f6feb'}>
              <title>{`${item.label}: ${item.text}`}</title>
            </rect>
            <text x={LABEL_WIDTH + width + 6} y={top + ROW_HEIGHT / 2 + 4} className="tick">
              {item.text}
            </text>
          </g>
        );
      })}
    </svg>
  );
}
