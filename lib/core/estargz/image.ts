/**
 * The image around eStargz layers: the config with the new diffIDs and an
 * OCI manifest whose layers carry the eStargz annotations.
 *
 * NOTE: the config goes through JSON.parse and JSON.stringify, so numbers
 * beyond 2^53 lose precision and integer-like object keys move first. Every
 * field, `history` included, is kept.
 */
import { utf8, fromUTF8 } from '../bytes';
import type { DiffID, Digest } from '../digest';
import { InvalidInputError } from '../errors';
import { sha256 } from '../sha256';
import { TOC_DIGEST_ANNOTATION, UNCOMPRESSED_SIZE_ANNOTATION } from './types';

export const OCI_MANIFEST_MEDIA_TYPE = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_CONFIG_MEDIA_TYPE = 'application/vnd.oci.image.config.v1+json';
/** Media type of eStargz layers, which are ordinary gzip layers to any other reader. */
export const OCI_LAYER_GZIP_MEDIA_TYPE = 'application/vnd.oci.image.layer.v1.tar+gzip';

/**
 * Returns the config with `rootfs.diff_ids` replaced by `newDiffIDs`, which
 * must be as many as the config has. Other fields are kept as they are.
 */
export function convertImageConfig(
  rawConfig: Uint8Array,
  newDiffIDs: readonly DiffID[],
): Uint8Array {
  let config: { rootfs?: { diff_ids?: unknown } } & Record<string, unknown>;
  try {
    config = JSON.parse(fromUTF8(rawConfig));
  } catch (error) {
    throw new InvalidInputError('converting image config: invalid JSON', { cause: error });
  }
  const diffIDs = config?.rootfs?.diff_ids;
  if (!Array.isArray(diffIDs)) {
    throw new InvalidInputError('converting image config: missing rootfs.diff_ids');
  }
  if (diffIDs.length !== newDiffIDs.length) {
    throw new InvalidInputError(
      `converting image config: config has ${diffIDs.length} diff_ids, ` +
        `got ${newDiffIDs.length} new ones`,
    );
  }
  config.rootfs!.diff_ids = [...newDiffIDs];
  return utf8(JSON.stringify(config));
}

/** A built eStargz layer, as the manifest describes it. */
export interface EStargzLayerDescriptor {
  digest: Digest;
  size: number;
  tocDigest: Digest;
  uncompressedSize: number;
  /** Annotations to keep from the source layer; the eStargz ones are set over them. */
  annotations?: Record<string, string>;
}

export interface EStargzManifestInput {
  config: { digest: Digest; size: number };
  layers: readonly EStargzLayerDescriptor[];
  /** Manifest annotations, kept from the source manifest. */
  annotations?: Record<string, string>;
}

/** An OCI image manifest as written, with its bytes and digest. */
export interface BuiltManifest {
  manifest: Record<string, unknown>;
  rawManifest: Uint8Array;
  digest: Digest;
  mediaType: typeof OCI_MANIFEST_MEDIA_TYPE;
}

/** Returns the OCI manifest of the converted image. */
export async function buildEStargzManifest(input: EStargzManifestInput): Promise<BuiltManifest> {
  const manifest: Record<string, unknown> = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST_MEDIA_TYPE,
    config: {
      mediaType: OCI_CONFIG_MEDIA_TYPE,
      digest: input.config.digest,
      size: input.config.size,
    },
    layers: input.layers.map(layerDescriptor),
  };
  if (input.annotations && Object.keys(input.annotations).length > 0) {
    manifest.annotations = { ...input.annotations };
  }
  const rawManifest = utf8(JSON.stringify(manifest));
  return {
    manifest,
    rawManifest,
    digest: await sha256(rawManifest),
    mediaType: OCI_MANIFEST_MEDIA_TYPE,
  };
}

function layerDescriptor(layer: EStargzLayerDescriptor) {
  return {
    mediaType: OCI_LAYER_GZIP_MEDIA_TYPE,
    digest: layer.digest,
    size: layer.size,
    annotations: {
      ...layer.annotations,
      [TOC_DIGEST_ANNOTATION]: layer.tocDigest,
      [UNCOMPRESSED_SIZE_ANNOTATION]: String(layer.uncompressedSize),
    },
  };
}
