/**
 * Checks, before any upload, that the manifest to push names exactly the
 * config and layers given with it, so the tag cannot end up pointing at a
 * blob that the push did not place.
 */
import type { Digest } from '../core/digest';
import { parseDigest } from '../core/digest';
import { fromUTF8 } from '../core/bytes';
import {
  DigestMismatchError,
  InvalidInputError,
  SizeMismatchError,
  UnsupportedError,
} from '../core/errors';
import { sha256 } from '../core/sha256';
import type { ManifestBytes } from './client';

/** Manifest media types that name one config and a list of layers. */
export const IMAGE_MANIFEST_MEDIA_TYPES = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
];

/** A blob as the push input describes it. */
export interface DescribedBlob {
  digest: Digest;
  size: number;
}

interface ManifestDescriptor {
  digest?: unknown;
  size?: unknown;
}

/**
 * Throws unless `manifest` is an image manifest whose config and layer
 * descriptors equal `config` and `layers`, in order, and unless the config
 * bytes hash to their digest.
 */
export async function checkManifest(
  manifest: ManifestBytes,
  config: { digest: Digest; bytes: Uint8Array },
  layers: DescribedBlob[],
): Promise<void> {
  const parsed = parseManifest(manifest);
  checkDescriptor('config', parsed.config, {
    digest: config.digest,
    size: config.bytes.length,
  });
  const listed = Array.isArray(parsed.layers) ? parsed.layers : [];
  if (listed.length !== layers.length) {
    throw new InvalidInputError(
      `manifest: lists ${listed.length} layers, but ${layers.length} were given`,
    );
  }
  layers.forEach((layer, index) => {
    checkDescriptor(`layer ${index}`, listed[index], layer);
  });
  const actual = await sha256(config.bytes);
  if (actual !== config.digest) {
    throw new DigestMismatchError('config blob', config.digest, actual);
  }
}

/** Returns the config and layer digests that an image manifest names. */
export function manifestBlobDigests(manifest: ManifestBytes): Digest[] {
  const parsed = parseManifest(manifest);
  const layers = Array.isArray(parsed.layers) ? parsed.layers : [];
  const descriptors = [parsed.config, ...layers];
  return descriptors.map((descriptor, index) => {
    const where = index === 0 ? 'manifest config' : `manifest layer ${index - 1}`;
    return parseDigest(descriptor?.digest, where);
  });
}

function parseManifest(manifest: ManifestBytes): {
  mediaType?: unknown;
  config?: ManifestDescriptor;
  layers?: ManifestDescriptor[];
} {
  if (!IMAGE_MANIFEST_MEDIA_TYPES.includes(manifest.mediaType)) {
    throw new UnsupportedError(
      `manifest: media type ${manifest.mediaType} is not supported for push; ` +
        `expected one of ${IMAGE_MANIFEST_MEDIA_TYPES.join(', ')}`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(fromUTF8(manifest.bytes));
  } catch (cause) {
    throw new InvalidInputError('manifest: bytes are not JSON', { cause });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new InvalidInputError('manifest: JSON is not an object');
  }
  const body = parsed as { mediaType?: unknown };
  if (body.mediaType !== undefined && body.mediaType !== manifest.mediaType) {
    throw new InvalidInputError(
      `manifest: mediaType field ${JSON.stringify(body.mediaType)} differs from ` +
        `the Content-Type ${manifest.mediaType}`,
    );
  }
  return parsed as ReturnType<typeof parseManifest>;
}

function checkDescriptor(
  where: string,
  descriptor: ManifestDescriptor | undefined,
  blob: DescribedBlob,
): void {
  if (descriptor?.digest !== blob.digest) {
    throw new InvalidInputError(
      `manifest: ${where} descriptor names ${JSON.stringify(descriptor?.digest)}, ` +
        `but the blob given is ${blob.digest}`,
    );
  }
  if (descriptor.size !== blob.size) {
    throw new SizeMismatchError(
      `manifest: ${where} ${blob.digest} given with a size other than its descriptor's`,
      Number(descriptor.size),
      blob.size,
    );
  }
}
