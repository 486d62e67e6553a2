'use client';
import { useCallback, useEffect, useRef, useState } from 'react';
import type { StrategyParams } from '#/lib/core/chunk/strategy';
import type { Comparison } from '#/lib/core/compare/types';
import { isAbortError } from '#/lib/core/errors';
import { listStoredImages, planComparison, runComparison } from '#/lib/browser/compare-session';
import type { CompareTask, StoredImage } from '#/lib/browser/compare-session';
import { ImportWorkerPool } from '#/lib/worker/worker-client';
import { openStore } from './use-store';

export type ComparePhase = 'loading' | 'ready' | 'running' | 'done' | 'cancelled' | 'failed';

export interface CompareState {
  phase: ComparePhase;
  /** Every stored image, one per manifest. */
  images: StoredImage[];
  /** Images of the current or last run, in run order; tasks point into it. */
  runImages: StoredImage[];
  tasks: CompareTask[];
  comparison?: Comparison;
  error?: string;
}

const INITIAL: CompareState = { phase: 'loading', images: [], runImages: [], tasks: [] };

/** Owns the worker pool, lists the stored images and runs one comparison at a time. */
export function useCompare() {
  const [state, setState] = useState<CompareState>(INITIAL);
  const pool = useRef<ImportWorkerPool | undefined>(undefined);
  const controller = useRef<AbortController | undefined>(undefined);

  const refresh = useCallback(async () => {
    const images = await listStoredImages(await openStore());
    setState((s) => ({ ...s, images, phase: s.phase === 'loading' ? 'ready' : s.phase }));
  }, []);

  useEffect(() => {
    refresh().catch((error: Error) => {
      console.error('listing stored images', error);
      setState((s) => ({ ...s, phase: 'failed', error: `Couldn't read the stored images: ${error.message}` }));
    });
    return () => {
      controller.current?.abort();
      pool.current?.terminate();
    };
  }, [refresh]);

  const run = useCallback(
    async (images: StoredImage[], strategies: StrategyParams[], filesystem: boolean) => {
      const abort = new AbortController();
      controller.current = abort;
      pool.current ??= new ImportWorkerPool();
      const tasks = planComparison(images, strategies);
      setState((s) => ({ ...s, phase: 'running', runImages: images, tasks, comparison: undefined, error: undefined }));
      try {
        const comparison = await runComparison(images, strategies, {
          filesystem,
          store: await openStore(),
          pool: pool.current,
          signal: abort.signal,
          onTask: (position, task) =>
            setState((s) => ({ ...s, tasks: s.tasks.map((old, i) => (i === position ? task : old)) })),
        });
        setState((s) => ({ ...s, phase: 'done', comparison }));
      } catch (error) {
        if (isAbortError(error)) {
          setState((s) => ({ ...s, phase: 'cancelled' }));
        } else {
          console.error('comparing strategies', error);
          setState((s) => ({ ...s, phase: 'failed', error: `Couldn't compare the strategies: ${(error as Error).message}` }));
        }
      } finally {
        controller.current = undefined;
        await refresh().catch((error) => console.error('listing stored images', error));
      }
    },
    [refresh],
  );

  const cancel = useCallback(() => controller.current?.abort(), []);

  return { state, run, cancel };
}
