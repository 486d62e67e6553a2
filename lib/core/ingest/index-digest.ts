import type { Digest } from '../digest';
import type { LayerIndex } from '../layer-index';
import { utf8 } from '../bytes';
import { sha256 } from '../sha256';

/**
 * Returns the digest of a layer index: SHA-256 of its JSON with the keys in the
 * order the ingest writes them, so the same layer and strategy always give the
 * same digest.
 */
export async function indexDigest(index: LayerIndex): Promise<Digest> {
  return sha256(utf8(JSON.stringify(index)));
}
