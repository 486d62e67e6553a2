'use client';
import { useState } from 'react';
import { formatStrategy } from '#/lib/core/chunk/params';
import type { StrategyParams } from '#/lib/core/chunk/strategy';
import { DEFAULT_COMPARE_STRATEGIES } from '#/lib/core/compare/runs';
import { useCompare } from '../_hooks/use-compare';
import { CompareImagePicker } from './compare-image-picker';
import { CompareProgress } from './compare-progress';
import { CompareResults } from './compare-results';
import { CompareShare } from './compare-share';
import { CompareStrategyPicker } from './compare-strategy-picker';

interface Choice {
  /** Manifest digests of the chosen images; undefined until the user changes it, meaning the first DEFAULT_IMAGE_COUNT. */
  images?: string[];
  strategies: StrategyParams[];
  chosen: string[];
  filesystem: boolean;
}

/** Images ticked before the user picks: each one adds an index per strategy to the store. */
const DEFAULT_IMAGE_COUNT = 2;

const INITIAL_CHOICE: Choice = {
  strategies: [...DEFAULT_COMPARE_STRATEGIES],
  chosen: DEFAULT_COMPARE_STRATEGIES.map(formatStrategy),
  filesystem: true,
};

/** Renders the compare page: pick images and strategies, run, then read and share the results. */
export function CompareView() {
  const { state, run, cancel } = useCompare();
  const [choice, setChoice] = useState<Choice>(INITIAL_CHOICE);
  const running = state.phase === 'running';

  // By default only the first two images, because every image and strategy pair is indexed and kept.
  const chosenImages = choice.images ?? state.images.slice(0, DEFAULT_IMAGE_COUNT).map((image) => image.manifestDigest);
  const images = state.images.filter((image) => chosenImages.includes(image.manifestDigest));
  const strategies = choice.strategies.filter((s) => choice.chosen.includes(formatStrategy(s)));

  if (state.phase === 'loading') return <p className="muted">Loading the stored images…</p>;
  return (
    <section>
      <p className="muted">
        Each image is chunked with every chosen strategy against one store. Strategies an image was not indexed with yet
        are computed from its stored chunks, without the archive, and kept for next time.
      </p>
      <div className="card pickers">
        <CompareImagePicker
          images={state.images}
          chosen={chosenImages}
          disabled={running}
          onChange={(digests) => setChoice((c) => ({ ...c, images: digests }))}
        />
        <CompareStrategyPicker
          strategies={choice.strategies}
          chosen={choice.chosen}
          filesystem={choice.filesystem}
          disabled={running}
          onChange={(change) => setChoice((c) => ({ ...c, ...change }))}
        />
      </div>
      <div className="controls">
        <button
          className="primary"
          disabled={running || images.length === 0 || strategies.length === 0}
          onClick={() => void run(images, strategies, choice.filesystem)}
        >
          Run
        </button>
        <button disabled={!running} onClick={cancel}>
          Cancel
        </button>
        <span className="muted">
          {images.length} {images.length === 1 ? 'image' : 'images'} × {strategies.length}{' '}
          {strategies.length === 1 ? 'strategy' : 'strategies'}
        </span>
      </div>
      <CompareProgress tasks={state.tasks} images={state.runImages} />
      {state.phase === 'cancelled' && (
        <p className="muted">Comparison cancelled; strategies finished before it are kept for next time.</p>
      )}
      {state.error && (
        <p className="error" role="alert">
          {state.error}
        </p>
      )}
      {state.comparison && (
        <>
          <CompareResults comparison={state.comparison} />
          <CompareShare comparison={state.comparison} />
        </>
      )}
    </section>
  );
}
