'use client';
import { useState } from 'react';
import { estargzOptions } from '#/lib/core/convert/estargz';
import { DEFAULT_CHUNK_SIZE_4MIB } from '#/lib/core/estargz/types';
import type { EStargzOptions } from '#/lib/core/layer-index';
import styles from './estargz.module.css';
import { FilePicker } from './estargz-file-picker';

const LEVELS = [
  { level: 9, label: '9: smallest, as the estargz library (default)' },
  { level: 6, label: '6: faster, slightly larger' },
  { level: 1, label: '1: fastest, largest' },
];

/** Returns the paths of the text, one per line, blank lines and surrounding spaces dropped. */
function pathLines(text: string): string[] {
  return text.split('\n').map((line) => line.trim()).filter(Boolean);
}

/** Edits the build options (chunk size, gzip level, prioritized files) and starts or cancels a build. */
export function EStargzOptionsForm(props: {
  initial?: EStargzOptions;
  files: readonly string[];
  building: boolean;
  workers: number;
  onBuild: (settings: EStargzOptions) => void;
  onCancel: () => void;
}) {
  const { initial, building } = props;
  const [chunkSizeKiB, setChunkSizeKiB] = useState((initial?.chunkSize ?? DEFAULT_CHUNK_SIZE_4MIB) / 1024);
  const [level, setLevel] = useState(initial?.level ?? 9);
  const [prioritized, setPrioritized] = useState((initial?.prioritizedFiles ?? []).join('\n'));
  const [error, setError] = useState<string>();

  const submit = () => {
    try {
      const settings = estargzOptions({ chunkSize: chunkSizeKiB * 1024, level, prioritizedFiles: pathLines(prioritized) });
      setError(undefined);
      props.onBuild(settings);
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const pick = (path: string) => {
    const lines = pathLines(prioritized);
    if (!lines.includes(path)) setPrioritized([...lines, path].join('\n'));
  };

  return (
    <div>
      <div className={styles.form}>
        <label htmlFor="estargz-chunk-size">Chunk size</label>
        <div>
          <input
            id="estargz-chunk-size"
            type="number"
            min={1}
            step={1}
            style={{ width: 90 }}
            value={chunkSizeKiB}
            disabled={building}
            onChange={(event) => setChunkSizeKiB(Number(event.target.value))}
          />{' '}
          KiB
          <span className={styles.hint}>Largest piece of a file per gzip member. Default 4096 KiB (4 MiB), as the estargz library.</span>
        </div>
        <label htmlFor="estargz-level">Gzip level</label>
        <div>
          <select id="estargz-level" value={level} disabled={building} onChange={(event) => setLevel(Number(event.target.value))}>
            {LEVELS.map((option) => (
              <option key={option.level} value={option.level}>
                {option.label}
              </option>
            ))}
          </select>
          <span className={styles.hint}>Deflate is most of the build time; lower levels build several times faster.</span>
        </div>
        <label htmlFor="estargz-prioritized">Prioritized files</label>
        <div>
          <textarea
            id="estargz-prioritized"
            rows={4}
            placeholder={'One path per line, such as\nbin/sh\netc/passwd'}
            value={prioritized}
            disabled={building}
            onChange={(event) => setPrioritized(event.target.value)}
          />
          {props.files.length > 0 && <FilePicker files={props.files} onPick={pick} disabled={building} />}
          <span className={styles.hint}>
            Put first in each layer that has them, before the prefetch landmark, so a lazy pull fetches them early.
            Default: none.
          </span>
        </div>
      </div>
      <div className={styles.actions}>
        <button className="primary" disabled={building} onClick={submit}>
          Build eStargz
        </button>
        {building && <button onClick={props.onCancel}>Cancel</button>}
        <span className="muted">
          Layers build in parallel in up to {props.workers} {props.workers === 1 ? 'worker' : 'workers'}, from the stored chunks.
          {initial && ' Building again replaces the current build.'}
        </span>
      </div>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}
