'use client';
import { formatBytes, formatDuration, formatRate } from '#/lib/core/format';
import type { BuildState, LayerBuildView } from '../_hooks/use-estargz';
import styles from './estargz.module.css';

function LayerRow({ layer }: { layer: LayerBuildView }) {
  const seconds = Math.max(0.001, (layer.updatedAt - layer.startedAt) / 1000);
  // Progress counts file content only, without tar headers, so a finished layer counts its whole tar.
  const read = layer.done ? layer.bytesTotal : Math.min(layer.bytesDone, layer.bytesTotal);
  const written = `${formatBytes(layer.bytesWritten)} written`;
  return (
    <div className={styles.progressRow}>
      <span>Layer {layer.layerIndex + 1}</span>
      <progress aria-label={`Layer ${layer.layerIndex + 1} build`} max={layer.bytesTotal || 1} value={read} />
      <span className="muted">
        {layer.done
          ? `done: ${formatBytes(layer.bytesTotal)} in ${formatDuration(seconds)} · ${formatRate(read, seconds)} · ${written}`
          : `${formatBytes(read)} of ${formatBytes(layer.bytesTotal)} · ${formatRate(read, seconds)} · ${written}`}
      </span>
    </div>
  );
}

/** Per-layer progress of a build, then its outcome in one sentence. */
export function EStargzProgress({ state, hadBuild }: { state: BuildState; hadBuild: boolean }) {
  if (state.phase === 'idle') return null;
  const layers = Object.values(state.layers).sort((a, b) => a.layerIndex - b.layerIndex);
  return (
    <div aria-label="eStargz build progress">
      {layers.map((layer) => (
        <LayerRow key={layer.layerIndex} layer={layer} />
      ))}
      {state.phase === 'building' && layers.length === 0 && <p className="muted">Starting workers…</p>}
      {state.phase === 'cancelled' && (
        <p role="status">
          Build cancelled. The chunks it stored were removed
          {hadBuild ? '; the image keeps its previous eStargz build.' : ', and no eStargz build was stored.'}
        </p>
      )}
      {state.phase === 'failed' && (
        <p className="error" role="alert">
          {state.error}
        </p>
      )}
      {state.phase === 'done' && state.missed.length > 0 && (
        <p className="error" role="status">
          No layer has these prioritized files: {state.missed.join(', ')}
        </p>
      )}
    </div>
  );
}
