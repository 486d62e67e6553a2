'use client';
import { useState } from 'react';
import type { Comparison, StrategyComparison } from '#/lib/core/compare/types';
import { formatBytes } from '#/lib/core/format';
import { ChartBars } from './chart-bars';
import { ChartHistogram } from './chart-histogram';
import { ChartLegend } from './chart-legend';

/** Returns the cost from image `from` to image `to` under a strategy, if it indexed both. */
function costBetween(strategy: StrategyComparison, from: number, to: number): number | undefined {
  const a = strategy.images.findIndex((figures) => figures.image === from);
  const b = strategy.images.findIndex((figures) => figures.image === to);
  if (a < 0 || b < 0 || !strategy.updateCosts) return undefined;
  return strategy.updateCosts[a][b];
}

function ImageSelect(props: { label: string; names: string[]; value: number; onChange: (value: number) => void }) {
  return (
    <label>
      {props.label}{' '}
      <select aria-label={props.label} value={props.value} onChange={(event) => props.onChange(Number(event.target.value))}>
        {props.names.map((name, i) => (
          <option key={name} value={i}>
            {name}
          </option>
        ))}
      </select>
    </label>
  );
}

function UpdateCostChart({ comparison }: { comparison: Comparison }) {
  const [from, setFrom] = useState(0);
  const [to, setTo] = useState(1);
  const names = comparison.images;
  const items = comparison.strategies.flatMap((strategy) => {
    const bytes = costBetween(strategy, from, to);
    return bytes === undefined ? [] : [{ label: strategy.label, value: bytes, text: formatBytes(bytes) }];
  });
  return (
    <>
      <h3>Update cost per strategy</h3>
      <div className="controls">
        <ImageSelect label="Machine has" names={names} value={from} onChange={setFrom} />
        <ImageSelect label="Updates to" names={names} value={to} onChange={setTo} />
      </div>
      {from === to ? (
        <p className="muted">Pick two different images.</p>
      ) : (
        <ChartBars label={`Bytes to fetch to update from ${names[from]} to ${names[to]}`} items={items} />
      )}
    </>
  );
}

/** Renders histograms per strategy, then stored bytes and update cost per strategy. */
export function CompareCharts({ comparison }: { comparison: Comparison }) {
  const withHistograms = comparison.strategies.every((s) => s.images.every((f) => f.histogram));
  const canUpdate = comparison.images.length >= 2 && comparison.strategies.every((s) => s.updateCosts);
  return (
    <>
      <ChartLegend names={comparison.images} />
      <h3>Chunk-size histogram per strategy</h3>
      {withHistograms ? (
        <div className="chart-grid">
          {comparison.strategies.map((strategy) => (
            <ChartHistogram key={strategy.label} strategy={strategy} />
          ))}
        </div>
      ) : (
        <p className="muted">This link left out the histograms to stay short.</p>
      )}
      <h3>Stored bytes per strategy, all images in one store</h3>
      <ChartBars
        label="Stored bytes per strategy"
        items={comparison.strategies.map((strategy) => ({
          label: strategy.label,
          value: strategy.totals.storedBytes,
          text: formatBytes(strategy.totals.storedBytes),
        }))}
      />
      {canUpdate && <UpdateCostChart comparison={comparison} />}
    </>
  );
}
