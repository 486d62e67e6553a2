'use client';
import { formatBytes, formatDuration, formatRate } from '#/lib/core/format';
import type { LayerProgressView } from '../_hooks/use-import';

/** One progress bar per layer with MB/s of the blob as read and the time left. */
export function LayerProgressList({ layers }: { layers: LayerProgressView[] }) {
  return (
    <div aria-label="Layer progress">
      {layers.map((layer) => {
        const seconds = Math.max(0.001, (layer.updatedAt - layer.startedAt) / 1000);
        const rate = layer.bytesDone / seconds;
        const left = rate > 0 ? (layer.bytesTotal - layer.bytesDone) / rate : Infinity;
        const done = layer.bytesDone >= layer.bytesTotal;
        return (
          <div className="progress-row" key={`${layer.imageIndex}:${layer.layerIndex}`}>
            <span>Layer {layer.layerIndex + 1}</span>
            <progress max={layer.bytesTotal || 1} value={layer.bytesDone} />
            <span className="muted">
              {formatBytes(layer.bytesDone)} of {formatBytes(layer.bytesTotal)} · {formatRate(layer.bytesDone, seconds)}
              {done ? ' · done' : ` · ${formatDuration(left)} left`} · {layer.chunksNew} new,{' '}
              {layer.chunksDeduplicated} deduplicated chunks
            </span>
          </div>
        );
      })}
    </div>
  );
}
