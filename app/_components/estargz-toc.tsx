'use client';
import { useMemo, useState } from 'react';
import type { TOCEntry } from '#/lib/core/estargz/types';
import { formatBytes } from '#/lib/core/format';
import { countTOCChunks } from '#/lib/core/ingest/source-toc';
import styles from './estargz.module.css';
import { VirtualList } from './virtual-list';

/** One TOC entry with the number of chunks its content is cut into. */
interface TOCRow {
  entry: TOCEntry;
  chunks: number;
}

/** Returns the entries other than `chunk` ones, each with its file's chunk count. */
function tocRows(entries: readonly TOCEntry[]): TOCRow[] {
  const rows: TOCRow[] = [];
  for (const entry of entries) {
    if (entry.type === 'chunk') {
      const file = rows[rows.length - 1];
      if (file) file.chunks++;
      continue;
    }
    rows.push({ entry, chunks: entry.type === 'reg' && (entry.size ?? 0) > 0 ? 1 : 0 });
  }
  return rows;
}

function formatMode(mode: number | undefined): string {
  return ((mode ?? 0) & 0o7777).toString(8).padStart(4, '0');
}

/** Returns an RFC 3339 time as `YYYY-MM-DD HH:MM:SS`, in UTC as the TOC stores it. */
function formatModtime(modtime: string | undefined): string {
  return modtime ? modtime.replace('T', ' ').replace(/Z$/, '') : '–';
}

/** Renders a searchable, virtualized view of a TOC: name, type, size, mode, modtime, chunks. */
export function TOCTable({ entries, label }: { entries: readonly TOCEntry[]; label: string }) {
  const [query, setQuery] = useState('');
  const rows = useMemo(() => tocRows(entries), [entries]);
  const matching = useMemo(() => {
    const needle = query.trim().toLowerCase();
    return needle ? rows.filter((row) => row.entry.name.toLowerCase().includes(needle)) : rows;
  }, [rows, query]);
  return (
    <div>
      <div className="controls">
        <input
          type="search"
          placeholder="Search names"
          aria-label={`Search ${label}`}
          value={query}
          onChange={(event) => setQuery(event.target.value)}
        />
        <span className="muted" aria-live="polite">
          {matching.length} of {rows.length} entries · {countTOCChunks(entries)} chunks
        </span>
      </div>
      <div className={styles.tocHead} aria-hidden="true">
        <span>Name</span>
        <span>Type</span>
        <span className={styles.num}>Size</span>
        <span>Mode</span>
        <span>Modified (UTC)</span>
        <span className={styles.num}>Chunks</span>
      </div>
      <VirtualList
        label={label}
        items={matching}
        rowHeight={22}
        height={360}
        renderRow={({ entry, chunks }) => (
          <div className={styles.tocRow}>
            <span title={entry.linkName ? `${entry.name} -> ${entry.linkName}` : entry.name}>
              {entry.name}
              {entry.linkName && <span className="muted"> → {entry.linkName}</span>}
            </span>
            <span>{entry.type}</span>
            <span className={styles.num} title={`${entry.size ?? 0} bytes`}>
              {entry.type === 'reg' ? formatBytes(entry.size ?? 0) : ''}
            </span>
            <span>{formatMode(entry.mode)}</span>
            <span>{formatModtime(entry.modtime)}</span>
            <span className={styles.num}>{chunks || ''}</span>
          </div>
        )}
      />
    </div>
  );
}
