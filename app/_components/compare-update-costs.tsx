import type { Comparison } from '#/lib/core/compare/types';
import { formatBytes } from '#/lib/core/format';
import { ImageSwatch, shortImageNames } from './chart-legend';

/**
 * Renders the update costs, one matrix per strategy: the bytes a machine
 * that has the row's image fetches to also have the column's image.
 */
export function CompareUpdateCosts({ comparison }: { comparison: Comparison }) {
  const names = comparison.images;
  const short = shortImageNames(names);
  if (names.length < 2) return <p className="muted">Update costs need two images or more.</p>;
  if (comparison.strategies.some((s) => s.updateCosts === undefined)) {
    return <p className="muted">This link left out the update costs to stay short.</p>;
  }
  return (
    <div className="table-scroll">
      <table aria-label="Update costs" className="update-costs">
        <thead>
          <tr>
            <th>Strategy</th>
            <th>Machine has</th>
            {names.map((name, i) => (
              <th key={name} className="num" title={name}>
                <ImageSwatch position={i} /> to get {short[i]}
              </th>
            ))}
          </tr>
        </thead>
        {comparison.strategies.map((strategy) => (
          <tbody key={strategy.label}>
            {strategy.images.map((from, a) => (
              <tr key={from.image}>
                {a === 0 && (
                  <th rowSpan={strategy.images.length} className="nowrap">
                    {strategy.label}
                  </th>
                )}
                <td className="from" title={from.imageName}>
                  <ImageSwatch position={from.image} /> {short[from.image]}
                </td>
                {names.map((_, column) => {
                  const b = strategy.images.findIndex((to) => to.image === column);
                  const bytes = b < 0 ? undefined : strategy.updateCosts![a][b];
                  return (
                    <td key={column} className="num" data-from={from.image} data-to={column}>
                      {b < 0 || a === b ? '–' : formatBytes(bytes!)}
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        ))}
      </table>
    </div>
  );
}
