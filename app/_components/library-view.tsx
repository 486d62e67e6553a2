'use client';
import Link from 'next/link';
import { useCallback, useEffect, useState } from 'react';
import type { ImageRecord } from '#/lib/core/layer-index';
import { formatBytes, shortDigest } from '#/lib/core/format';
import { formatStrategy } from '#/lib/core/chunk/params';
import type { StoreStats } from '#/lib/store/chunk-store';
import { storageEstimate } from '#/lib/store/storage-quota';
import type { StorageEstimate } from '#/lib/store/storage-quota';
import { useStore } from '../_hooks/use-store';

interface LibraryState {
  images: ImageRecord[];
  stats?: StoreStats;
  estimate?: StorageEstimate;
}

/**
 * Returns the records grouped by manifest, newest record first in each group
 * and the groups in the order of their newest record. One image chunked with
 * several strategies has one record per strategy.
 */
function groupByManifest(records: readonly ImageRecord[]): ImageRecord[][] {
  const groups = new Map<string, ImageRecord[]>();
  for (const record of [...records].sort((a, b) => b.createdAt - a.createdAt)) {
    const group = groups.get(record.manifestDigest);
    if (group) group.push(record);
    else groups.set(record.manifestDigest, [record]);
  }
  return [...groups.values()];
}

/** The stored images with storage used, quota, delete and clear. */
export function LibraryView() {
  const { store, error: storeError } = useStore();
  const [state, setState] = useState<LibraryState>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();

  const refresh = useCallback(async () => {
    if (!store) return;
    const [images, stats, estimate] = await Promise.all([store.listImages(), store.stats(), storageEstimate()]);
    images.sort((a, b) => b.createdAt - a.createdAt);
    setState({ images, stats, estimate });
  }, [store]);

  useEffect(() => {
    refresh().catch((e: Error) => setError(`Couldn't read the library: ${e.message}`));
  }, [refresh]);

  const run = async (what: string, action: () => Promise<unknown>) => {
    setBusy(true);
    setError(undefined);
    try {
      await action();
      await refresh();
    } catch (e) {
      console.error(what, e);
      setError(`Couldn't ${what}: ${(e as Error).message}`);
    } finally {
      setBusy(false);
    }
  };

  if (storeError) return <p className="error">Couldn't open IndexedDB: {storeError.message}</p>;
  if (!state) return <p className="muted">Loading…</p>;
  const { images, stats, estimate } = state;
  return (
    <section>
      <div className="card" aria-label="Storage">
        <strong>Storage</strong>{' '}
        {stats && (
          <span>
            {stats.chunkCount} distinct chunks, {formatBytes(stats.chunkBytes)} of chunk data, {stats.indexCount} layer
            indexes, {stats.imageCount} image records
          </span>
        )}
        {estimate && (
          <span className="muted">
            {' '}
            · origin uses {formatBytes(estimate.usage)} of {formatBytes(estimate.quota)} quota
          </span>
        )}
      </div>
      {error && <p className="error" role="alert">{error}</p>}
      {images.length === 0 ? (
        <p>
          No images yet. <Link href="/">Import one</Link>.
        </p>
      ) : (
        <table aria-label="Stored images">
          <thead>
            <tr>
              <th>Image</th>
              <th>Manifest</th>
              <th>Platform</th>
              <th>Strategies</th>
              <th className="num">Layers</th>
              <th className="num">Size</th>
              <th className="num">Chunks (newest)</th>
              <th>Imported</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {groupByManifest(images).map((group) => {
              const [first] = group;
              const name = first.repoTags[0] ?? first.sourceName;
              return (
                <tr key={first.manifestDigest}>
                  <td>
                    <Link href={`/image?key=${encodeURIComponent(first.key)}`}>{name}</Link>
                    <div className="muted">{first.sourceName}</div>
                  </td>
                  <td className="mono nowrap">{shortDigest(first.manifestDigest)}</td>
                  <td>
                    {first.platform.os}/{first.platform.architecture}
                  </td>
                  <td>
                    {group.map((record, i) => (
                      <div key={record.key}>
                        <Link href={`/image?key=${encodeURIComponent(record.key)}`}>
                          {formatStrategy(record.strategy)}
                          {record.filesystem ? '' : ' (plain)'}
                        </Link>
                        {record.estargz && <span className="muted"> · eStargz built</span>}
                        {i === 0 && group.length > 1 && <span className="muted"> · newest</span>}
                      </div>
                    ))}
                  </td>
                  <td className="num">{first.layers.length}</td>
                  <td className="num">{formatBytes(first.layers.reduce((t, l) => t + l.size, 0))}</td>
                  <td className="num">{first.layers.reduce((t, l) => t + l.chunkCount, 0)}</td>
                  <td>{new Date(first.createdAt).toLocaleString()}</td>
                  <td>
                    <button
                      disabled={busy}
                      aria-label={`Delete ${name}`}
                      onClick={() =>
                        void run('delete the image', async () => {
                          for (const record of group) await store!.deleteImage(record.key);
                        })
                      }
                    >
                      Delete
                    </button>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      <p>
        <button
          disabled={busy || images.length === 0}
          onClick={() => {
            if (window.confirm('Delete every stored image and chunk?')) void run('clear the library', () => store!.clear());
          }}
        >
          Clear all
        </button>
      </p>
    </section>
  );
}
