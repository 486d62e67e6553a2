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
              <th>Strategy</th>
              <th className="num">Layers</th>
              <th className="num">Size</th>
              <th className="num">Chunks</th>
              <th>Imported</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {images.map((image) => (
              <tr key={image.key}>
                <td>
                  <Link href={`/image?key=${encodeURIComponent(image.key)}`}>{image.repoTags[0] ?? image.sourceName}</Link>
                  <div className="muted">{image.sourceName}</div>
                </td>
                <td className="mono">{shortDigest(image.manifestDigest)}</td>
                <td>
                  {image.platform.os}/{image.platform.architecture}
                </td>
                <td>
                  {formatStrategy(image.strategy)}
                  {image.filesystem ? '' : ' (plain)'}
                </td>
                <td className="num">{image.layers.length}</td>
                <td className="num">{formatBytes(image.layers.reduce((t, l) => t + l.size, 0))}</td>
                <td className="num">{image.layers.reduce((t, l) => t + l.chunkCount, 0)}</td>
                <td>{new Date(image.createdAt).toLocaleString()}</td>
                <td>
                  <button
                    disabled={busy}
                    aria-label={`Delete ${image.repoTags[0] ?? image.sourceName}`}
                    onClick={() => void run('delete the image', () => store!.deleteImage(image.key))}
                  >
                    Delete
                  </button>
                </td>
              </tr>
            ))}
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
