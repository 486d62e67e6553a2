import type { ArchiveImage } from '../archive/types';
import { synthesizeManifest } from '../archive/synthesize';
import type { BuiltManifest } from '../archive/synthesize';
import { assert } from '../errors';

/**
 * Returns the image's manifest: the stored or already built one, or, for a
 * legacy `docker save` image with compressed layers, one built once the
 * uncompressed sizes are known. skopeo's docker-archive transport builds the
 * same one, listing each layer by its diffID and uncompressed size, so both
 * name the image by the same digest.
 */
export async function finishManifest(
  image: ArchiveImage,
  uncompressedSizes: readonly number[],
): Promise<BuiltManifest> {
  if (image.rawManifest && image.manifestDigest) {
    return { bytes: image.rawManifest, digest: image.manifestDigest, mediaType: image.manifestMediaType };
  }
  assert(uncompressedSizes.length === image.layers.length, 'one size per layer');
  return synthesizeManifest(
    image.rawConfig,
    image.layers.map((layer, i) => ({ digest: layer.diffID, size: uncompressedSizes[i] })),
  );
}
