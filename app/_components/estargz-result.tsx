'use client';
import { useEffect, useState } from 'react';
import { bundleDownload, layerDownload, readStoredTOC } from '#/lib/browser/estargz-session';
import type { TOCEntry } from '#/lib/core/estargz/types';
import { formatBytes, formatDuration } from '#/lib/core/format';
import type { EStargzImage, ImageRecord } from '#/lib/core/layer-index';
import { useEStargzVerify, useStoredDownload } from '../_hooks/use-estargz';
import { openStore, useStore } from '../_hooks/use-store';
import styles from './estargz.module.css';
import { EStargzLayerTable } from './estargz-layers';
import { TOCTable } from './estargz-toc';

function describeOptions(options: EStargzImage['options']): string {
  const files = options.prioritizedFiles.length;
  return `chunk size ${formatBytes(options.chunkSize)}, gzip level ${options.level}, ${
    files === 0 ? 'no prioritized files' : `${files} prioritized ${files === 1 ? 'file' : 'files'}`
  }`;
}

/** Shows the TOC of one built layer, read from its stored chunks when it is shown. */
function BuiltTOC({ converted }: { converted: EStargzImage }) {
  const [layerIndex, setLayerIndex] = useState(0);
  const [toc, setTOC] = useState<{ entries?: TOCEntry[]; error?: string }>({});
  const layer = converted.layers[layerIndex] ?? converted.layers[0];
  useEffect(() => {
    let live = true;
    setTOC({});
    openStore()
      .then((store) => readStoredTOC(layer, store))
      .then(
        (info) => live && setTOC({ entries: info.toc.entries }),
        (error: Error) => {
          console.error('reading the eStargz TOC', error);
          if (live) setTOC({ error: `Couldn't read the TOC: ${error.message}` });
        },
      );
    return () => {
      live = false;
    };
  }, [layer]);
  return (
    <section className={styles.section} aria-label="eStargz TOC">
      <h2>
        TOC of layer{' '}
        <select aria-label="TOC layer" value={layerIndex} onChange={(event) => setLayerIndex(Number(event.target.value))}>
          {converted.layers.map((_, i) => (
            <option key={i} value={i}>
              {i + 1}
            </option>
          ))}
        </select>
      </h2>
      {toc.error && <p className="error">{toc.error}</p>}
      {!toc.entries && !toc.error && <p className="muted">Reading the TOC…</p>}
      {toc.entries && <TOCTable key={layer.digest} entries={toc.entries} label={`TOC of eStargz layer ${layerIndex + 1}`} />}
    </section>
  );
}

/** Shows the converted image: manifest, layer table, Verify, downloads and the TOC of each layer. */
export function EStargzResult({ record, converted }: { record: ImageRecord; converted: EStargzImage }) {
  const { results, running, verify } = useEStargzVerify(record);
  const { save, start } = useStoredDownload();
  const { store } = useStore();
  const saving = save?.state === 'saving' || !store;
  // No await before `start`: the file picker needs the click's user activation.
  const download = (layerIndex?: number) => {
    if (!store) return;
    void start(layerIndex === undefined ? bundleDownload(record, store) : layerDownload(record, layerIndex, store));
  };
  const verified = Object.values(results);
  const allOk = verified.length === converted.layers.length && verified.every((r) => r.state === 'ok');
  return (
    <section className={styles.section} aria-label="Converted image">
      <h2>Converted image</h2>
      <dl className="summary">
        <dt>Manifest</dt>
        <dd className="mono" data-testid="estargz-manifest-digest">
          {converted.manifestDigest}
        </dd>
        <dt>Config</dt>
        <dd className="mono">{converted.configDigest}</dd>
        <dt>Built with</dt>
        <dd>
          {describeOptions(converted.options)} in {formatDuration(converted.seconds)}
        </dd>
      </dl>
      <div className={styles.actions}>
        <button className="primary" disabled={saving} onClick={() => download()}>
          Download bundle
        </button>
        <button disabled={running} onClick={() => void verify()}>
          {running ? 'Verifying…' : 'Verify'}
        </button>
        {allOk && <span className="ok">All {converted.layers.length} layers verified</span>}
        {save && (
          <span className={save.state === 'failed' ? 'error' : 'muted'} role="status">
            {save.state === 'failed' ? save.message : `${save.state === 'saved' ? 'Saved' : 'Saving'} ${save.fileName} (${formatBytes(save.bytesSaved)})`}
          </span>
        )}
      </div>
      <EStargzLayerTable
        layers={converted.layers}
        sources={record.layers}
        verify={results}
        busy={saving}
        onDownload={(layerIndex) => download(layerIndex)}
      />
      <BuiltTOC converted={converted} />
    </section>
  );
}
