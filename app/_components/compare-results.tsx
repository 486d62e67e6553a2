'use client';
import type { Comparison } from '#/lib/core/compare/types';
import { CompareCharts } from './compare-charts';
import { CompareTable } from './compare-table';
import { CompareTotals } from './compare-totals';
import { CompareUpdateCosts } from './compare-update-costs';

/**
 * Renders the tables and charts of a comparison. The section carries the comparison as
 * JSON in `data-comparison`, so tests read the exact figures behind the text.
 */
export function CompareResults({ comparison }: { comparison: Comparison }) {
  return (
    <section aria-label="Comparison results" data-testid="comparison" data-comparison={JSON.stringify(comparison)}>
      <h2>Figures per strategy and image</h2>
      <p className="muted">Click a column header to sort by it. Sizes are of the uncompressed layer streams.</p>
      <CompareTable comparison={comparison} />
      <h2>Totals per strategy</h2>
      <CompareTotals comparison={comparison} />
      <h2>Update cost</h2>
      <p className="muted">
        Bytes of chunks that a machine with the row&apos;s image lacks, and so fetches, to get the column&apos;s image.
      </p>
      <CompareUpdateCosts comparison={comparison} />
      <h2>Charts</h2>
      <CompareCharts comparison={comparison} />
    </section>
  );
}
