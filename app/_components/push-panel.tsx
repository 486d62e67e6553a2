'use client';
import { formatBytes } from '#/lib/core/format';
import type { EStargzImage, ImageRecord } from '#/lib/core/layer-index';
import { usePush } from '../_hooks/use-push';
import { PushFailureNote } from './push-failure';
import { PushForm } from './push-form';
import { PushProgressTable } from './push-progress';
import { PushResultView } from './push-result';

/**
 * Push tab of one stored image: sends its eStargz conversion to a registry
 * through the app's registry routes, with progress per blob.
 */
export function PushPanel({ record, onOpenEStargz }: { record: ImageRecord; onOpenEStargz?: () => void }) {
  const { state, start, cancel } = usePush(record);
  if (!record.estargz) return <NotBuilt onOpenEStargz={onOpenEStargz} />;
  const running = state.phase === 'running';
  return (
    <div data-testid="push-panel">
      <p className="muted">
        Pushes the eStargz image: {record.estargz.layers.length} layers, {formatBytes(blobBytes(record.estargz))} of
        blobs, manifest <span className="mono">{record.estargz.manifestDigest}</span>. Blobs the registry already has
        are skipped, and the tag is set last, once every blob is in place.
      </p>
      <PushForm record={record} running={running} onPush={start} onCancel={cancel} />
      {state.phase !== 'idle' && <PushProgressTable rows={state.rows} />}
      {state.phase === 'cancelled' && (
        <p className="muted" role="status">
          Push cancelled. The tag was not changed; blobs uploaded so far stay in the registry and are skipped next time.
        </p>
      )}
      {state.phase === 'failed' && state.failure && <PushFailureNote failure={state.failure} target={state.target} />}
      {state.phase === 'done' && state.result && state.target && (
        <PushResultView result={state.result} target={state.target} />
      )}
    </div>
  );
}

function blobBytes(converted: EStargzImage): number {
  return converted.layers.reduce((total, layer) => total + layer.size, converted.rawConfig.length);
}

function NotBuilt({ onOpenEStargz }: { onOpenEStargz?: () => void }) {
  const tab = onOpenEStargz ? (
    <a
      href="#estargz"
      onClick={(event) => {
        event.preventDefault();
        onOpenEStargz();
      }}
    >
      eStargz tab
    </a>
  ) : (
    'eStargz tab'
  );
  return (
    <div className="card" data-testid="push-panel">
      <p style={{ margin: 0 }}>
        This image has no eStargz build yet, so there is nothing to push. Build it in the {tab}, then come back here to
        push it.
      </p>
    </div>
  );
}
