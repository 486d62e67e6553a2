/** The mark phase of mark-and-sweep: what the stored images reference. */
import type { Digest } from '../core/digest';
import type { ImageRecord, LayerIndex } from '../core/layer-index';
import { SILENT_LOGGER, type Logger } from '../core/log';
import { throwIfAborted } from './store-util';

/** Digests of the layer indexes and chunks that at least one image references. */
export interface References {
  indexes: Set<string>;
  chunks: Set<string>;
}

export interface FindReferencesOptions {
  signal?: AbortSignal;
  log?: Logger;
}

/**
 * Returns every layer index and chunk that `images` reference. `loadIndex`
 * returns undefined for an index the store lacks: that image is already broken
 * and its chunks cannot be found without the index, so they are not kept.
 */
export async function findReferences(
  images: readonly ImageRecord[],
  loadIndex: (indexDigest: Digest) => Promise<LayerIndex | undefined>,
  options: FindReferencesOptions = {},
): Promise<References> {
  const log = options.log ?? SILENT_LOGGER;
  const references: References = { indexes: new Set(), chunks: new Set() };
  for (const image of images) {
    for (const [position, layer] of image.layers.entries()) {
      if (references.indexes.has(layer.indexDigest)) continue;
      throwIfAborted(options.signal);
      references.indexes.add(layer.indexDigest);
      const index = await loadIndex(layer.indexDigest);
      if (!index) {
        log.warn(
          `collecting garbage: image ${image.key} layer ${position} references missing layer index ${layer.indexDigest}`,
        );
        continue;
      }
      for (const chunk of index.chunks) references.chunks.add(chunk.digest);
    }
    for (const layer of image.estargz?.layers ?? []) {
      for (const chunk of layer.chunks) references.chunks.add(chunk.digest);
    }
  }
  return references;
}
