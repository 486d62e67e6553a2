/**
 * Writes an OCI image layout (image-spec "OCI Image Layout") as a tar
 * stream: `oci-layout`, `index.json`, then `blobs/sha256/<hex>` for each blob,
 * read from its part one piece at a time. The same input always gives the
 * same bytes: entries have mode 0644 (0755 for directories), owner 0 and
 * mtime 0, and blobs come in the order given, each digest once.
 */
import { utf8 } from '../bytes';
import type { Digest } from '../digest';
import { digestHex } from '../digest';
import { DigestMismatchError, InvalidInputError, SizeMismatchError, abortError } from '../errors';
import { createHasher } from '../sha256';
import type { TarMember } from '../tar/writer';
import { writeTar } from '../tar/writer';

/** A blob to put in the layout, read with `open()` when its turn comes. */
export interface BlobPart {
  digest: Digest;
  size: number;
  open(): AsyncIterable<Uint8Array>;
}

/** A manifest that `index.json` lists; its bytes must be one of the blobs. */
export interface LayoutManifest {
  mediaType: string;
  digest: Digest;
  size: number;
  /** Written as the `org.opencontainers.image.ref.name` annotation, the tag skopeo reads. */
  refName?: string;
  platform?: { architecture: string; os: string; variant?: string };
  annotations?: Record<string, string>;
}

export interface OCILayoutOptions {
  /** Hash each blob while writing it and throw on a mismatch; default true. */
  verifyDigests?: boolean;
  signal?: AbortSignal;
}

/** Annotation key of the reference name (tag) of a manifest in an image layout. */
export const REF_NAME_ANNOTATION = 'org.opencontainers.image.ref.name';

const OCI_INDEX_MEDIA_TYPE = 'application/vnd.oci.image.index.v1+json';

/** Returns the `index.json` bytes that list `manifests`. */
export function ociIndexJSON(manifests: readonly LayoutManifest[]): Uint8Array {
  const index = {
    schemaVersion: 2,
    mediaType: OCI_INDEX_MEDIA_TYPE,
    manifests: manifests.map(indexDescriptor),
  };
  return utf8(JSON.stringify(index));
}

function indexDescriptor(manifest: LayoutManifest) {
  const annotations = { ...manifest.annotations };
  if (manifest.refName !== undefined) annotations[REF_NAME_ANNOTATION] = manifest.refName;
  return {
    mediaType: manifest.mediaType,
    digest: manifest.digest,
    size: manifest.size,
    ...(manifest.platform ? { platform: manifest.platform } : {}),
    ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
  };
}

/**
 * Yields the layout as a tar stream. Throws InvalidInputError when a manifest
 * is not among the blobs or one digest comes with two sizes, and
 * SizeMismatchError or DigestMismatchError when a part's bytes are wrong.
 */
export function ociLayoutTar(
  input: { manifests: readonly LayoutManifest[]; blobs: readonly BlobPart[] },
  options: OCILayoutOptions = {},
): AsyncGenerator<Uint8Array> {
  const blobs = uniqueBlobs(input.blobs);
  for (const manifest of input.manifests) {
    const blob = blobs.get(manifest.digest);
    if (blob === undefined || blob.size !== manifest.size) {
      throw new InvalidInputError(
        `writing OCI layout: manifest ${manifest.digest} (${manifest.size} bytes) is not among the blobs`,
      );
    }
  }
  return writeTar(layoutMembers(input.manifests, [...blobs.values()], options), options);
}

function uniqueBlobs(parts: readonly BlobPart[]): Map<Digest, BlobPart> {
  const blobs = new Map<Digest, BlobPart>();
  for (const part of parts) {
    const seen = blobs.get(part.digest);
    if (seen !== undefined && seen.size !== part.size) {
      throw new InvalidInputError(
        `writing OCI layout: blob ${part.digest} given with sizes ${seen.size} and ${part.size}`,
      );
    }
    if (seen === undefined) blobs.set(part.digest, part);
  }
  return blobs;
}

function* layoutMembers(
  manifests: readonly LayoutManifest[],
  blobs: readonly BlobPart[],
  options: OCILayoutOptions,
): Generator<TarMember> {
  yield fileMember('oci-layout', utf8(JSON.stringify({ imageLayoutVersion: '1.0.0' })));
  yield fileMember('index.json', ociIndexJSON(manifests));
  yield dirMember('blobs/');
  yield dirMember('blobs/sha256/');
  for (const blob of blobs) {
    yield {
      header: fileHeader(`blobs/sha256/${digestHex(blob.digest)}`, blob.size),
      content: checkedContent(blob, options),
    };
  }
}

function fileMember(path: string, content: Uint8Array): TarMember {
  return { header: fileHeader(path, content.length), content };
}

function fileHeader(path: string, size: number): TarMember['header'] {
  return { path, type: 'file', mode: 0o644, uid: 0, gid: 0, uname: '', gname: '', mtime: 0, size };
}

function dirMember(path: string): TarMember {
  return {
    header: { path, type: 'dir', mode: 0o755, uid: 0, gid: 0, uname: '', gname: '', mtime: 0, size: 0 },
  };
}

/** Yields a blob's pieces and checks its size and, unless turned off, its digest. */
async function* checkedContent(
  blob: BlobPart,
  options: OCILayoutOptions,
): AsyncGenerator<Uint8Array> {
  const hasher = options.verifyDigests === false ? undefined : await createHasher();
  let size = 0;
  for await (const piece of blob.open()) {
    if (options.signal?.aborted) throw abortError();
    size += piece.length;
    if (size > blob.size) break;
    hasher?.update(piece);
    yield piece;
  }
  const where = `writing OCI layout: blob ${blob.digest}`;
  if (size !== blob.size) throw new SizeMismatchError(where, blob.size, size);
  const actual = hasher?.digest();
  if (actual !== undefined && actual !== blob.digest) {
    throw new DigestMismatchError(where, blob.digest, actual);
  }
}
