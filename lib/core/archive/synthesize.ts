/**
 * A manifest for a `docker save` image that stores none, built the way
 * skopeo's docker-archive transport builds it, so that both name the image
 * by the same manifest digest.
 */
import { utf8 } from '../bytes';
import type { DiffID, Digest } from '../digest';
import { DOCKER_CONFIG, DOCKER_LAYER_GZIP, DOCKER_MANIFEST } from '../oci';
import { sha256 } from '../sha256';

/** A manifest's bytes with their digest and media type. */
export interface BuiltManifest {
  bytes: Uint8Array;
  digest: Digest;
  mediaType: string;
}

/** A layer as the synthesized manifest lists it. */
export interface SynthesizedLayer {
  digest: Digest | DiffID;
  size: number;
  /** Defaults to the Docker gzip layer type, as skopeo writes for every layer. */
  mediaType?: string;
}

/**
 * Builds a Docker v2 schema 2 manifest from config bytes and layer
 * descriptors, as compact JSON with Go's field order. skopeo 1.9.3 (checked
 * with `skopeo inspect --raw docker-archive:…`) serves such layers
 * uncompressed, so it lists each by its diffID and uncompressed size under
 * the Docker gzip media type. Pass those values to get its digest.
 * NOTE: the gzip media type is then not true of the bytes.
 */
export async function synthesizeManifest(
  rawConfig: Uint8Array,
  layers: readonly SynthesizedLayer[],
): Promise<BuiltManifest> {
  const manifest = {
    schemaVersion: 2,
    mediaType: DOCKER_MANIFEST,
    config: {
      mediaType: DOCKER_CONFIG,
      size: rawConfig.length,
      digest: await sha256(rawConfig),
    },
    layers: layers.map((layer) => ({
      mediaType: layer.mediaType ?? DOCKER_LAYER_GZIP,
      size: layer.size,
      digest: layer.digest,
    })),
  };
  const bytes = utf8(JSON.stringify(manifest));
  return { bytes, digest: await sha256(bytes), mediaType: DOCKER_MANIFEST };
}
