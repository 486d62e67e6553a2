'use client';
import Link from 'next/link';
import { useSearchParams } from 'next/navigation';
import { useEffect, useMemo, useState } from 'react';
import { formatStrategy } from '#/lib/core/chunk/params';
import { formatBytes, shortDigest } from '#/lib/core/format';
import { mergeLayers } from '#/lib/core/fs/merge';
import type { ImageRecord, LayerIndex } from '#/lib/core/layer-index';
import { useStore } from '../_hooks/use-store';
import { EntryList } from './entry-list';
import { EStargzPanel } from './estargz-panel';
import { PushPanel } from './push-panel';
import { VirtualList } from './virtual-list';

/** Returns stored JSON bytes indented for reading, or as text when they do not parse. */
function prettyJSON(bytes: Uint8Array): string {
  const text = new TextDecoder().decode(bytes);
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

type Tab = 'layers' | 'files' | 'chunks' | 'merged' | 'estargz' | 'push';

/** One stored image: layers, files per layer, chunks per layer, merged filesystem. */
export function ImageView() {
  const key = useSearchParams().get('key') ?? '';
  const { store } = useStore();
  const [record, setRecord] = useState<ImageRecord>();
  const [indexes, setIndexes] = useState<LayerIndex[]>();
  const [error, setError] = useState<string>();
  const [tab, setTab] = useState<Tab>('layers');
  const [layer, setLayer] = useState(0);

  useEffect(() => {
    if (!store || !key) return;
    (async () => {
      const found = await store.getImage(key);
      setRecord(found);
      setIndexes(await Promise.all(found.layers.map((l) => store.getIndex(l.indexDigest))));
    })().catch((e: Error) => setError(`Couldn't open the image: ${e.message}`));
  }, [store, key]);

  const merged = useMemo(
    () => (indexes && indexes.every((i) => i.entries) ? mergeLayers(indexes.map((i) => i.entries!)) : undefined),
    [indexes],
  );

  const mergedRows = useMemo(
    () => merged?.entries.map((row) => ({ layerIndex: row.layerIndex, entry: { ...row.entry, path: `/${row.path}` } })) ?? [],
    [merged],
  );

  if (!key) return <p className="error">No image named. Open one from the <Link href="/library">library</Link>.</p>;
  if (error) return <p className="error" role="alert">{error}</p>;
  if (!record || !indexes) return <p className="muted">Loading…</p>;
  const current = indexes[layer];
  return (
    <section>
      <h1>{record.repoTags[0] ?? record.sourceName}</h1>
      <dl className="summary">
        <dt>Manifest</dt>
        <dd className="mono">{record.manifestDigest}</dd>
        <dt>Config</dt>
        <dd className="mono">{record.configDigest}</dd>
        <dt>Platform</dt>
        <dd>
          {record.platform.os}/{record.platform.architecture}
        </dd>
        <dt>Strategy</dt>
        <dd>
          {formatStrategy(record.strategy)}
          {record.filesystem ? ', filesystem-aware' : ', plain bytes'}
        </dd>
      </dl>
      <div className="controls" role="tablist">
        {(['layers', 'files', 'chunks', 'merged', 'estargz', 'push'] as const).map((name) => (
          <button key={name} role="tab" aria-selected={tab === name} className={tab === name ? 'primary' : ''} onClick={() => setTab(name)}>
            {{ layers: 'Layers', files: 'Files', chunks: 'Chunks', merged: 'Merged filesystem', estargz: 'eStargz', push: 'Push' }[name]}
          </button>
        ))}
        {(tab === 'files' || tab === 'chunks') && (
          <select aria-label="Layer" value={layer} onChange={(event) => setLayer(Number(event.target.value))}>
            {indexes.map((_, i) => (
              <option key={i} value={i}>
                Layer {i + 1}
              </option>
            ))}
          </select>
        )}
      </div>
      {tab === 'layers' && (
        <table aria-label="Layers">
          <thead>
            <tr>
              <th>#</th>
              <th>Digest</th>
              <th>DiffID</th>
              <th>Media type</th>
              <th className="num">Blob</th>
              <th className="num">Uncompressed</th>
              <th className="num">Chunks</th>
              <th className="num">Entries</th>
              <th className="num">Wasted</th>
            </tr>
          </thead>
          <tbody>
            {indexes.map((index, i) => (
              <tr key={i}>
                <td>{i + 1}</td>
                <td className="mono">{shortDigest(index.layerDigest)}</td>
                <td className="mono">{shortDigest(index.diffID)}</td>
                <td className="mono">{index.mediaType}</td>
                <td className="num">{formatBytes(index.compressedSize)}</td>
                <td className="num">{formatBytes(index.size)}</td>
                <td className="num">{index.chunks.length}</td>
                <td className="num">{index.entries?.length ?? '–'}</td>
                <td className="num">{merged ? formatBytes(merged.waste[i].wastedBytes) : '–'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {tab === 'layers' && (
        <>
          <details>
            <summary>Manifest ({record.manifestMediaType})</summary>
            <pre className="mono" aria-label="Manifest JSON">{prettyJSON(record.rawManifest)}</pre>
          </details>
          <details>
            <summary>Config</summary>
            <pre className="mono" aria-label="Config JSON">{prettyJSON(record.rawConfig)}</pre>
          </details>
        </>
      )}
      {tab === 'files' &&
        (current.entries ? (
          <EntryList key={layer} label={`Files of layer ${layer + 1}`} rows={current.entries.map((entry) => ({ entry }))} />
        ) : (
          <p className="muted">This layer was chunked as plain bytes, so no file list was recorded.</p>
        ))}
      {tab === 'chunks' && (
        <VirtualList
          key={layer}
          label={`Chunks of layer ${layer + 1}`}
          items={current.chunks}
          rowHeight={22}
          height={420}
          renderRow={(chunk, i) => (
            <div className="mono" style={{ whiteSpace: 'pre', padding: '2px 8px', fontSize: 12 }}>
              {String(i).padStart(6)} {String(chunk.offset).padStart(12)} {String(chunk.size).padStart(9)} {chunk.digest}
            </div>
          )}
        />
      )}
      {tab === 'estargz' && <EStargzPanel record={record} onRecordChange={setRecord} />}
      {tab === 'push' && <PushPanel record={record} onOpenEStargz={() => setTab('estargz')} />}
      {tab === 'merged' &&
        (merged ? (
          <>
            <p className="muted">
              All layers applied in order, whiteouts and opaque directories honoured. Wasted bytes per layer:{' '}
              {merged.waste.map((w) => `layer ${w.layerIndex + 1}: ${formatBytes(w.wastedBytes)} in ${w.wastedFiles} files`).join('; ')}
            </p>
            <EntryList
              label="Merged filesystem"
              rows={mergedRows}
            />
          </>
        ) : (
          <p className="muted">The merged view needs every layer chunked filesystem-aware.</p>
        ))}
    </section>
  );
}
