'use client';
import { useCallback, useEffect, useRef, useState } from 'react';
import { checkTarget, pushConverted } from '#/lib/browser/push-session';
import type { PushTarget } from '#/lib/browser/push-session';
import type { Digest } from '#/lib/core/digest';
import { CodedError, isAbortError } from '#/lib/core/errors';
import type { ImageRecord } from '#/lib/core/layer-index';
import type { RegistryAuth } from '#/lib/registry/auth';
import { RegistryError } from '#/lib/registry/errors';
import type { BlobOutcomeKind, PushProgress, PushResult } from '#/lib/registry/push-flow';
import { openStore } from './use-store';

/** One row of the progress table: a layer, the config or the manifest. */
export interface BlobRow {
  key: string;
  blob: PushProgress['blob'];
  index: number;
  digest: Digest;
  bytesTotal: number;
  bytesDone: number;
  /** `failed` and `cancelled` mark the row that was in progress when the push stopped. */
  phase: 'waiting' | PushProgress['phase'] | 'failed' | 'cancelled';
  outcome?: BlobOutcomeKind;
}

/** A failed push: the code and message of the registry or of the route. */
export interface PushFailure {
  code: string;
  message: string;
  /** HTTP status of the reply, when there was one. */
  status?: number;
  /** The row that was in progress, such as "layer 2". */
  blobLabel?: string;
}

export type PushPhase = 'idle' | 'running' | 'done' | 'failed' | 'cancelled';

export interface PushState {
  phase: PushPhase;
  rows: BlobRow[];
  target?: PushTarget;
  result?: PushResult;
  failure?: PushFailure;
}

/** Returns the label of a row, such as "Layer 2", "Config" or "Manifest". */
export function blobLabel(row: Pick<BlobRow, 'blob' | 'index'>): string {
  if (row.blob === 'layer') return `Layer ${row.index + 1}`;
  return row.blob === 'config' ? 'Config' : 'Manifest';
}

function initialRows(record: ImageRecord): BlobRow[] {
  const converted = record.estargz;
  if (!converted) return [];
  const row = (blob: BlobRow['blob'], index: number, digest: Digest, size: number): BlobRow => ({
    key: `${blob}:${index}`,
    blob,
    index,
    digest,
    bytesTotal: size,
    bytesDone: 0,
    phase: 'waiting',
  });
  return [
    ...converted.layers.map((layer, i) => row('layer', i, layer.digest, layer.size)),
    row('config', 0, converted.configDigest, converted.rawConfig.length),
    row('manifest', 0, converted.manifestDigest, converted.rawManifest.length),
  ];
}

function applyProgress(rows: BlobRow[], progress: PushProgress): BlobRow[] {
  const key = `${progress.blob}:${progress.index}`;
  return rows.map((row) =>
    row.key === key
      ? {
          ...row,
          digest: progress.digest,
          phase: progress.phase,
          bytesDone: progress.bytesDone,
          bytesTotal: progress.bytesTotal,
          outcome: progress.outcome,
        }
      : row,
  );
}

function isActive(row: BlobRow): boolean {
  return row.phase === 'checking' || row.phase === 'uploading';
}

/** Returns the row that was in progress when a push stopped, if any. */
function stoppedRow(rows: BlobRow[]): BlobRow | undefined {
  const active = rows.find(isActive);
  if (active) return active;
  // The manifest PUT reports no progress before it is sent, and it runs once every blob is done.
  const blobsDone = rows.every((row) => row.blob === 'manifest' || row.phase === 'done');
  return blobsDone ? rows.find((row) => row.blob === 'manifest' && row.phase !== 'done') : undefined;
}

function markStopped(rows: BlobRow[], phase: 'failed' | 'cancelled'): BlobRow[] {
  const stopped = stoppedRow(rows);
  return rows.map((row) => (row === stopped ? { ...row, phase } : row));
}

function describeFailure(error: unknown, rows: BlobRow[]): PushFailure {
  const stopped = stoppedRow(rows);
  const label = stopped ? blobLabel(stopped).toLowerCase() : undefined;
  if (error instanceof RegistryError) {
    return {
      code: error.code,
      message: error.diagnostics[0]?.message || error.message,
      status: error.status || undefined,
      blobLabel: label,
    };
  }
  const code = error instanceof CodedError ? error.code : 'ERROR';
  return { code, message: (error as Error).message, blobLabel: label };
}

/** Runs one push of `record`'s eStargz conversion at a time, with progress per blob. */
export function usePush(record: ImageRecord) {
  const [state, setState] = useState<PushState>(() => ({ phase: 'idle', rows: initialRows(record) }));
  const controller = useRef<AbortController | undefined>(undefined);

  useEffect(() => {
    setState((s) => (s.phase === 'running' ? s : { phase: 'idle', rows: initialRows(record) }));
  }, [record]);

  useEffect(() => () => controller.current?.abort(), []);

  const start = useCallback(
    async (target: PushTarget, auth?: RegistryAuth) => {
      controller.current?.abort();
      const abort = new AbortController();
      controller.current = abort;
      // A cancelled push settles after the next one starts; only the current one updates the state.
      const update = (next: (s: PushState) => PushState) => {
        if (controller.current === abort) setState(next);
      };
      let rows = initialRows(record);
      setState({ phase: 'running', rows });
      try {
        const checked = checkTarget(target);
        update((s) => ({ ...s, target: checked }));
        const store = await openStore();
        const result = await pushConverted(record, store, checked, {
          auth,
          signal: abort.signal,
          onProgress: (progress) => {
            rows = applyProgress(rows, progress);
            update((s) => ({ ...s, rows }));
          },
        });
        update((s) => ({ ...s, phase: 'done', result }));
      } catch (error) {
        if (isAbortError(error)) {
          update((s) => ({ ...s, phase: 'cancelled', rows: markStopped(rows, 'cancelled') }));
          return;
        }
        console.error(`pushing ${record.key}`, error);
        const failure = describeFailure(error, rows);
        update((s) => ({ ...s, phase: 'failed', failure, rows: markStopped(rows, 'failed') }));
      } finally {
        if (controller.current === abort) controller.current = undefined;
      }
    },
    [record],
  );

  const cancel = useCallback(() => controller.current?.abort(), []);

  return { state, start, cancel };
}
