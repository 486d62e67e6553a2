/**
 * The download bundle of a converted image: an OCI image layout tar holding
 * the eStargz manifest, config and layers, read from the chunk store piece by
 * piece. skopeo reads it as `oci-archive:FILE`, and Docker 25+ loads it.
 */
import type { ChunkStore } from '../../store/chunk-store';
import { ociLayoutTar } from '../bundle/oci-layout';
import type { BlobPart } from '../bundle/oci-layout';
import { NotFoundError } from '../errors';
import type { EStargzLayer, ImageRecord } from '../layer-index';
import { readBlob } from './blob-chunks';

/** Returns a file-name-safe image name: the first repo tag without its registry, else the archive name. */
export function imageFileStem(record: Pick<ImageRecord, 'repoTags' | 'sourceName'>): string {
  const tag = record.repoTags[0];
  const base = tag ? tag.replace(/^[^/]+\.[^/]+\//, '') : record.sourceName.replace(/(\.(oci|docker))?\.tar$/, '');
  return base.replace(/[^A-Za-z0-9._-]+/g, '_');
}

/** Returns the tag a bundle names the image by: the tag of its first repo tag, else `latest`. */
export function bundleRefName(record: Pick<ImageRecord, 'repoTags'>): string {
  const tag = record.repoTags[0];
  if (!tag) return 'latest';
  const afterSlash = tag.slice(tag.lastIndexOf('/') + 1);
  const colon = afterSlash.lastIndexOf(':');
  return colon >= 0 ? afterSlash.slice(colon + 1) : 'latest';
}

/** Returns a stored eStargz layer as a blob part that streams from the store. */
export function layerPart(layer: EStargzLayer, store: ChunkStore, signal?: AbortSignal): BlobPart {
  return {
    digest: layer.digest,
    size: layer.size,
    open: () => readBlob(layer.chunks, store, { signal, name: `eStargz layer ${layer.digest}` }),
  };
}

function bytesPart(digest: BlobPart['digest'], bytes: Uint8Array): BlobPart {
  return {
    digest,
    size: bytes.length,
    async *open() {
      yield bytes;
    },
  };
}

/** Streams the bundle tar of a converted image; throws NotFoundError when it has not been built. */
export function bundleStream(
  record: ImageRecord,
  store: ChunkStore,
  options: { signal?: AbortSignal } = {},
): AsyncGenerator<Uint8Array> {
  const converted = record.estargz;
  if (!converted) throw new NotFoundError(`image ${record.key} has no eStargz build yet`);
  return ociLayoutTar(
    {
      manifests: [
        {
          mediaType: converted.manifestMediaType,
          digest: converted.manifestDigest,
          size: converted.rawManifest.length,
          refName: bundleRefName(record),
        },
      ],
      blobs: [
        bytesPart(converted.manifestDigest, converted.rawManifest),
        bytesPart(converted.configDigest, converted.rawConfig),
        ...converted.layers.map((layer) => layerPart(layer, store, options.signal)),
      ],
    },
    { signal: options.signal },
  );
}
