'use client';
import { useMemo, useState } from 'react';
import styles from './estargz.module.css';

/** Matches shown at once; narrow the search to see others. */
const MAX_MATCHES = 8;

/** Search over the image's merged regular files; picking one adds it to the prioritized list. */
export function FilePicker(props: { files: readonly string[]; onPick: (path: string) => void; disabled?: boolean }) {
  const [query, setQuery] = useState('');
  const matches = useMemo(() => {
    const needle = query.trim().toLowerCase();
    if (!needle) return [];
    const found: string[] = [];
    for (const file of props.files) {
      if (!file.toLowerCase().includes(needle)) continue;
      found.push(file);
      if (found.length === MAX_MATCHES) break;
    }
    return found;
  }, [props.files, query]);
  return (
    <div className={styles.picker}>
      <input
        type="search"
        placeholder={`Add from the image's ${props.files.length} files…`}
        aria-label="Find a file to prioritize"
        value={query}
        disabled={props.disabled}
        style={{ width: '100%', boxSizing: 'border-box' }}
        onChange={(event) => setQuery(event.target.value)}
      />
      {matches.length > 0 && (
        <ul aria-label="Matching files">
          {matches.map((file) => (
            <li key={file}>
              <button
                type="button"
                disabled={props.disabled}
                onClick={() => {
                  props.onPick(file);
                  setQuery('');
                }}
              >
                + {file}
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
