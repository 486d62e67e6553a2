import type { Comparison } from '#/lib/core/compare/types';
import { formatBytes, formatDuration } from '#/lib/core/format';
import { formatMBps } from './compare-columns';

/** Renders the totals per strategy: all compared images together in one chunk store. */
export function CompareTotals({ comparison }: { comparison: Comparison }) {
  return (
    <div className="table-scroll">
      <table aria-label="Totals per strategy">
        <thead>
          <tr>
            <th>Strategy</th>
            <th className="num">Chunks</th>
            <th className="num">Distinct</th>
            <th className="num">Uncompressed</th>
            <th className="num">Stored</th>
            <th className="num">Dedup</th>
            <th className="num">MB/s</th>
            <th className="num">Time</th>
          </tr>
        </thead>
        <tbody>
          {comparison.strategies.map((strategy) => {
            const t = strategy.totals;
            return (
              <tr key={strategy.label}>
                <td>{strategy.label}</td>
                <td className="num">{t.chunkCount}</td>
                <td className="num">{t.distinctChunks}</td>
                <td className="num">{formatBytes(t.totalBytes)}</td>
                <td className="num">{formatBytes(t.storedBytes)}</td>
                <td className="num">{t.dedupRatio.toFixed(2)}</td>
                <td className="num">{formatMBps(t.bytesPerSecond)}</td>
                <td className="num">{t.seconds > 0 ? formatDuration(t.seconds) : '–'}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
