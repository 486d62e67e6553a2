'use client';
import { useCallback, useEffect, useRef, useState } from 'react';
import type { ArchiveImage, ImageArchive } from '#/lib/core/archive/types';
import type { StrategyParams } from '#/lib/core/chunk/strategy';
import { isAbortError } from '#/lib/core/errors';
import type { LayerProgress } from '#/lib/core/ingest/layer';
import { importArchive, readArchive } from '#/lib/browser/import-session';
import type { ImportedImage } from '#/lib/browser/import-session';
import { ImportWorkerPool } from '#/lib/worker/worker-client';
import { openStore } from './use-store';

/** Progress of one layer with the time it started, for MB/s and time left. */
export interface LayerProgressView extends LayerProgress {
  imageIndex: number;
  startedAt: number;
  updatedAt: number;
}

export type ImportPhase = 'idle' | 'reading' | 'ready' | 'running' | 'cancelling' | 'done' | 'cancelled' | 'failed';

export interface ImportState {
  phase: ImportPhase;
  file?: File;
  archive?: ImageArchive;
  images: Record<number, ArchiveImage>;
  layers: Record<string, LayerProgressView>;
  imported: ImportedImage[];
  error?: string;
}

/** Returns the error message without a leading `reading FILE: `, which the sentence around it already names. */
function withoutFilePrefix(error: unknown, fileName: string): string {
  const message = (error as Error).message ?? String(error);
  const prefix = `reading ${fileName}: `;
  return message.startsWith(prefix) ? message.slice(prefix.length) : message;
}

const INITIAL: ImportState = { phase: 'idle', images: {}, layers: {}, imported: [] };

/** Owns the worker pool and runs one import at a time. */
export function useImport() {
  const [state, setState] = useState<ImportState>(INITIAL);
  const pool = useRef<ImportWorkerPool | undefined>(undefined);
  const controller = useRef<AbortController | undefined>(undefined);

  useEffect(() => () => pool.current?.terminate(), []);

  const choose = useCallback(async (file: File) => {
    controller.current?.abort();
    setState({ ...INITIAL, phase: 'reading', file });
    try {
      const archive = await readArchive(file);
      setState({ ...INITIAL, phase: 'ready', file, archive });
    } catch (error) {
      console.error(`reading ${file.name}`, error);
      setState({ ...INITIAL, phase: 'failed', file, error: `Couldn't read ${file.name}: ${withoutFilePrefix(error, file.name)}` });
    }
  }, []);

  const start = useCallback(
    async (options: { strategy: StrategyParams; filesystem: boolean; images?: number[] }) => {
      const { file, archive } = state;
      if (!file || !archive) return;
      const abort = new AbortController();
      controller.current = abort;
      pool.current ??= new ImportWorkerPool();
      setState((s) => ({ ...s, phase: 'running', layers: {}, imported: [], error: undefined }));
      try {
        const store = await openStore();
        const imported = await importArchive(file, archive, {
          ...options,
          store,
          pool: pool.current,
          signal: abort.signal,
          onImageStart: (imageIndex, image) =>
            setState((s) => ({ ...s, images: { ...s.images, [imageIndex]: image } })),
          onProgress: (imageIndex, progress) =>
            setState((s) => {
              const key = `${imageIndex}:${progress.layerIndex}`;
              const now = performance.now();
              const startedAt = s.layers[key]?.startedAt ?? now;
              return {
                ...s,
                layers: { ...s.layers, [key]: { ...progress, imageIndex, startedAt, updatedAt: now } },
              };
            }),
        });
        setState((s) => ({ ...s, phase: 'done', imported }));
      } catch (error) {
        if (isAbortError(error)) {
          setState((s) => ({ ...s, phase: 'cancelled' }));
          return;
        }
        console.error(`importing ${file.name}`, error);
        setState((s) => ({ ...s, phase: 'failed', error: `Couldn't import ${file.name}: ${withoutFilePrefix(error, file.name)}` }));
      } finally {
        controller.current = undefined;
      }
    },
    [state],
  );

  const cancel = useCallback(() => {
    if (!controller.current) return;
    controller.current.abort();
    // Workers stop at once; removing the chunks they stored takes a moment longer.
    setState((s) => (s.phase === 'running' ? { ...s, phase: 'cancelling' } : s));
  }, []);

  return { state, choose, start, cancel };
}
