'use client';
import { useMemo, useState } from 'react';
import type { Comparison } from '#/lib/core/compare/types';
import { FIGURE_COLUMNS } from './compare-columns';
import type { FigureColumn, FigureRow } from './compare-columns';
import { ImageSwatch, shortImageNames } from './chart-legend';

type Direction = 'ascending' | 'descending';

interface Sort {
  key: string;
  direction: Direction;
}

function rowsOf(comparison: Comparison): FigureRow[] {
  const names = shortImageNames(comparison.images);
  let order = 0;
  return comparison.strategies.flatMap((strategy) =>
    strategy.images.map((figures) => ({
      strategy,
      figures,
      order: order++,
      shortName: names[figures.image],
    })),
  );
}

function sortRows(rows: FigureRow[], column: FigureColumn, direction: Direction): FigureRow[] {
  const sign = direction === 'ascending' ? 1 : -1;
  return [...rows].sort((a, b) => {
    const x = column.value(a);
    const y = column.value(b);
    const byValue =
      typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
    return byValue !== 0 ? sign * byValue : a.order - b.order;
  });
}

/** Figures per strategy and image; a click on a header sorts by that column. */
export function CompareTable({ comparison }: { comparison: Comparison }) {
  const [sort, setSort] = useState<Sort>();
  const rows = useMemo(() => rowsOf(comparison), [comparison]);
  const column = FIGURE_COLUMNS.find((c) => c.key === sort?.key);
  const sorted = column && sort ? sortRows(rows, column, sort.direction) : rows;

  const toggle = (key: string) =>
    setSort((old) => ({
      key,
      direction: old?.key === key && old.direction === 'ascending' ? 'descending' : 'ascending',
    }));

  return (
    <div className="table-scroll">
      <table aria-label="Figures per strategy and image" className="compare-table">
        <thead>
          <tr>
            {FIGURE_COLUMNS.map((c) => (
              <th
                key={c.key}
                className={c.numeric ? 'num' : undefined}
                aria-sort={sort?.key === c.key ? sort.direction : 'none'}
              >
                <button type="button" className="sort" title={c.title} onClick={() => toggle(c.key)}>
                  {c.label}
                  <span aria-hidden="true">{sortMark(sort, c.key)}</span>
                </button>
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {sorted.map((row) => (
            <tr key={row.order}>
              {FIGURE_COLUMNS.map((c) => (
                <td key={c.key} className={c.numeric ? 'num' : undefined} data-column={c.key}
                  title={c.tooltip?.(row)}>
                  {c.key === 'image' && <ImageSwatch position={row.figures.image} />} {c.text(row)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function sortMark(sort: Sort | undefined, key: string): string {
  if (sort?.key !== key) return '';
  return sort.direction === 'ascending' ? ' ▲' : ' ▼';
}
