'use client';
import { useMemo, useState } from 'react';
import { listingLine } from '#/lib/core/fs/listing';
import type { TarEntry } from '#/lib/core/tar/entry';
import { VirtualList } from './virtual-list';

export interface EntryRow {
  entry: TarEntry;
  /** Layer the entry comes from, shown in the merged view. */
  layerIndex?: number;
}

/** A searchable `tar -tv` style list of entries with whiteouts marked. */
export function EntryList({ rows, label }: { rows: readonly EntryRow[]; label: string }) {
  const [query, setQuery] = useState('');
  const shown = useMemo(() => {
    const needle = query.trim().toLowerCase();
    return needle ? rows.filter((row) => row.entry.path.toLowerCase().includes(needle)) : rows;
  }, [rows, query]);
  return (
    <div>
      <div className="controls">
        <input
          type="search"
          placeholder="Search paths"
          aria-label={`Search ${label}`}
          value={query}
          onChange={(event) => setQuery(event.target.value)}
        />
        <span className="muted" aria-live="polite">
          {shown.length} of {rows.length} entries
        </span>
      </div>
      <VirtualList
        label={label}
        items={shown}
        rowHeight={22}
        height={420}
        renderRow={(row) => (
          <div className="mono" style={{ whiteSpace: 'pre', padding: '2px 8px', fontSize: 12 }}>
            {row.layerIndex !== undefined && <span className="muted">L{row.layerIndex + 1} </span>}
            {listingLine(row.entry)}
            {row.entry.whiteout && (
              <span className="error"> {row.entry.whiteout === 'opaque' ? '[opaque directory]' : '[whiteout]'}</span>
            )}
          </div>
        )}
      />
    </div>
  );
}
