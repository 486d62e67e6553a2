'use client';
import { useCallback, useEffect, useRef, useState } from 'react';
import { isAbortError } from '#/lib/core/errors';
import type { BuildProgress } from '#/lib/core/estargz/build';
import type { EStargzOptions, ImageRecord, LayerIndex } from '#/lib/core/layer-index';
import { saveStream } from '#/lib/browser/download';
import { buildEStargz, verifyStoredLayer } from '#/lib/browser/estargz-session';
import type { StoredDownload } from '#/lib/browser/estargz-session';
import { ImportWorkerPool } from '#/lib/worker/worker-client';
import { openStore } from './use-store';

/** Progress of one layer's build, with its times for MB/s. */
export interface LayerBuildView extends BuildProgress {
  layerIndex: number;
  /** Uncompressed size of the source layer. */
  bytesTotal: number;
  startedAt: number;
  updatedAt: number;
  done: boolean;
}

export type BuildPhase = 'idle' | 'building' | 'done' | 'cancelled' | 'failed';

export interface BuildState {
  phase: BuildPhase;
  layers: Record<number, LayerBuildView>;
  /** Prioritized files that no layer has, from the last build. */
  missed: string[];
  error?: string;
}

/** Builds eStargz in the worker pool, one build at a time, with cancel. */
export function useEStargzBuild(record: ImageRecord, onRecordChange: (record: ImageRecord) => void) {
  const [state, setState] = useState<BuildState>({ phase: 'idle', layers: {}, missed: [] });
  const pool = useRef<ImportWorkerPool | undefined>(undefined);
  const controller = useRef<AbortController | undefined>(undefined);

  useEffect(() => () => pool.current?.terminate(), []);

  const build = useCallback(
    async (settings: EStargzOptions) => {
      const update = (layerIndex: number, patch: Partial<LayerBuildView>) =>
        setState((s) => ({ ...s, layers: { ...s.layers, [layerIndex]: layerView(s, record, layerIndex, patch) } }));
      const abort = new AbortController();
      controller.current = abort;
      pool.current ??= new ImportWorkerPool();
      const workers = pool.current;
      setState({ phase: 'building', layers: {}, missed: [] });
      try {
        const store = await openStore();
        const built = await buildEStargz(record, {
          settings,
          store,
          concurrency: workers.size,
          signal: abort.signal,
          convertLayer: (layerIndex, signal, onProgress) =>
            workers.convert(
              { recordKey: record.key, layerIndex, options: settings, databaseName: store.name },
              { signal, onProgress },
            ),
          onLayerStart: (layerIndex) => update(layerIndex, {}),
          onProgress: (layerIndex, progress) => update(layerIndex, progress),
          onLayerDone: (layerIndex) => update(layerIndex, { done: true }),
        });
        setState((s) => ({ ...s, phase: 'done', missed: built.missedPrioritizedFiles }));
        onRecordChange(built.record);
      } catch (error) {
        if (isAbortError(error)) {
          setState((s) => ({ ...s, phase: 'cancelled' }));
          return;
        }
        console.error('building eStargz', error);
        setState((s) => ({ ...s, phase: 'failed', error: `Couldn't build eStargz: ${(error as Error).message}` }));
      } finally {
        controller.current = undefined;
      }
    },
    [record, onRecordChange],
  );

  const cancel = useCallback(() => controller.current?.abort(), []);
  return { state, build, cancel };
}

function layerView(
  state: BuildState,
  record: ImageRecord,
  layerIndex: number,
  patch: Partial<LayerBuildView>,
): LayerBuildView {
  const now = performance.now();
  const before = state.layers[layerIndex] ?? {
    layerIndex,
    phase: 'estargz' as const,
    bytesDone: 0,
    bytesWritten: 0,
    bytesTotal: record.layers[layerIndex].size,
    startedAt: now,
    done: false,
  };
  return { ...before, ...patch, updatedAt: now };
}

export interface VerifyView {
  state: 'running' | 'ok' | 'failed';
  message: string;
}

/**
 * Verifies every built layer from its stored chunks, one after another.
 * NOTE: verification runs on the page, not in a worker. It inflates piece by
 * piece between store reads, but a large layer can still make the page lag.
 */
export function useEStargzVerify(record: ImageRecord) {
  const [results, setResults] = useState<Record<number, VerifyView>>({});
  const [running, setRunning] = useState(false);
  const layers = record.estargz?.layers;

  useEffect(() => setResults({}), [layers]);

  const verify = useCallback(async () => {
    if (!layers) return;
    setRunning(true);
    setResults({});
    const store = await openStore();
    for (const [i, layer] of layers.entries()) {
      setResults((r) => ({ ...r, [i]: { state: 'running', message: 'Checking…' } }));
      try {
        const result = await verifyStoredLayer(layer, store);
        const message = `Verified: digest, TOC and ${result.chunkCount} chunks of ${result.fileCount} files`;
        setResults((r) => ({ ...r, [i]: { state: 'ok', message } }));
      } catch (error) {
        console.error(`verifying eStargz layer ${i}`, error);
        const message = `Failed: ${(error as Error).message}`;
        setResults((r) => ({ ...r, [i]: { state: 'failed', message } }));
      }
    }
    setRunning(false);
  }, [layers]);

  return { results, running, verify };
}

export interface SaveView {
  fileName: string;
  bytesSaved: number;
  state: 'saving' | 'saved' | 'failed';
  message?: string;
}

/** Saves downloads from the store; keeps the state of the last one. */
export function useStoredDownload() {
  const [save, setSave] = useState<SaveView>();
  const start = useCallback(async (download: StoredDownload) => {
    const { fileName } = download;
    setSave({ fileName, bytesSaved: 0, state: 'saving' });
    try {
      await saveStream(fileName, download.open, {
        type: fileName.endsWith('.tar') ? 'application/x-tar' : 'application/octet-stream',
        onProgress: (bytesSaved) => setSave({ fileName, bytesSaved, state: 'saving' }),
      });
      setSave((s) => ({ fileName, bytesSaved: s?.bytesSaved ?? 0, state: 'saved' }));
    } catch (error) {
      if (isAbortError(error)) {
        setSave(undefined);
        return;
      }
      console.error(`saving ${fileName}`, error);
      setSave({ fileName, bytesSaved: 0, state: 'failed', message: `Couldn't save ${fileName}: ${(error as Error).message}` });
    }
  }, []);
  return { save, start };
}

/** Loads the layer indexes of a record, for the source TOC and the file list. */
export function useLayerIndexes(record: ImageRecord): LayerIndex[] | undefined {
  const [indexes, setIndexes] = useState<LayerIndex[]>();
  const digests = record.layers.map((layer) => layer.indexDigest).join(',');
  useEffect(() => {
    let live = true;
    openStore()
      .then((store) => Promise.all(record.layers.map((layer) => store.getIndex(layer.indexDigest))))
      .then((loaded) => live && setIndexes(loaded))
      .catch((error: unknown) => console.error('loading layer indexes', error));
    return () => {
      live = false;
    };
    // The indexes change only when the digest list does.
  }, [digests]);
  return indexes;
}
