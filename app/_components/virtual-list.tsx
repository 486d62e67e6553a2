'use client';
import { useState } from 'react';
import type { ReactNode } from 'react';

/**
 * Renders only the rows in view, so lists of 50,000 entries scroll smoothly.
 * Rows have a fixed height in pixels.
 */
export function VirtualList<T>(props: {
  items: readonly T[];
  rowHeight: number;
  height: number;
  renderRow: (item: T, index: number) => ReactNode;
  label: string;
}) {
  const { items, rowHeight, height, renderRow } = props;
  const [scrollTop, setScrollTop] = useState(0);
  const overscan = 10;
  const first = Math.max(0, Math.floor(scrollTop / rowHeight) - overscan);
  const last = Math.min(items.length, Math.ceil((scrollTop + height) / rowHeight) + overscan);
  const rows: ReactNode[] = [];
  for (let i = first; i < last; i++) {
    rows.push(
      <div key={i} role="row" style={{ position: 'absolute', top: i * rowHeight, height: rowHeight, left: 0, right: 0 }}>
        {renderRow(items[i], i)}
      </div>,
    );
  }
  return (
    <div
      role="table"
      aria-label={props.label}
      aria-rowcount={items.length}
      style={{ height, overflowY: 'auto', position: 'relative', border: '1px solid var(--line)', background: '#fff' }}
      onScroll={(event) => setScrollTop(event.currentTarget.scrollTop)}
    >
      <div style={{ height: items.length * rowHeight, position: 'relative' }}>{rows}</div>
    </div>
  );
}
