/**
 * Layer blobs of an archive: which compression they use (from the media
 * type, checked against the first bytes) and a stream that checks the size
 * and digest of what it read.
 */
import {
  SNIFF_BYTES,
  checkCompression,
  layerCompression,
  sniffCompression,
} from '../compression';
import type { ByteSource } from '../bytes';
import type { Compression } from '../compression';
import type { DiffID, Digest } from '../digest';
import {
  DigestMismatchError,
  InvalidArchiveError,
  SizeMismatchError,
  UnsupportedError,
} from '../errors';
import { DOCKER_LAYER, DOCKER_LAYER_GZIP, DOCKER_LAYER_ZSTD } from '../oci';
import type { Descriptor } from '../oci';
import { createHasher } from '../sha256';
import type { MemberTable } from './members';
import { asArchiveError } from './metadata';
import type { ArchiveLayer, OpenLayerOptions } from './types';

/** Position of a layer in its image, with its diffID and the member path that names it. */
export interface LayerPlace {
  index: number;
  member: string;
  diffID: DiffID;
}

function describe(place: LayerPlace): string {
  return `layer ${place.index} (${place.member})`;
}

function resolveBlob(table: MemberTable, place: LayerPlace) {
  const resolved = table.resolve(place.member);
  if (!resolved) {
    throw new InvalidArchiveError(
      `reading ${table.source.name}: ${describe(place)} is missing from the archive`,
    );
  }
  return resolved;
}

/**
 * Returns the layer a manifest descriptor names. Throws UnsupportedError for
 * foreign and unknown media types, and InvalidArchiveError when the blob is
 * missing or its first bytes do not match the media type.
 */
export async function describedLayer(
  table: MemberTable,
  place: LayerPlace,
  descriptor: Descriptor,
): Promise<ArchiveLayer> {
  const where = describe(place);
  const compression = asArchiveError(table.source.name, () =>
    layerCompression(descriptor.mediaType, where),
  );
  const member = resolveBlob(table, place);
  const head = await table.source.read(member.dataOffset, Math.min(SNIFF_BYTES, member.size));
  asArchiveError(table.source.name, () => checkCompression(compression, head, where));
  return makeLayer(table, place, {
    digest: descriptor.digest,
    mediaType: descriptor.mediaType,
    size: descriptor.size,
    compression,
    annotations: descriptor.annotations,
  });
}

const LEGACY_MEDIA_TYPES: Record<Compression, string> = {
  none: DOCKER_LAYER,
  gzip: DOCKER_LAYER_GZIP,
  zstd: DOCKER_LAYER_ZSTD,
};

/**
 * Returns a legacy `docker save` layer, which has no descriptor: the
 * compression comes from its first bytes and the size from the member. An
 * uncompressed blob's digest is its diffID; `digest` may give the digest
 * when the member path is content-addressed (`blobs/sha256/<hex>`).
 */
export async function legacyLayer(
  table: MemberTable,
  place: LayerPlace,
  digest?: Digest,
): Promise<ArchiveLayer> {
  const member = resolveBlob(table, place);
  const head = await table.source.read(member.dataOffset, Math.min(SNIFF_BYTES, member.size));
  const compression = sniffCompression(head);
  if (compression === 'unknown') {
    throw new UnsupportedError(
      `reading ${table.source.name}: ${describe(place)} is neither gzip, zstd nor tar`,
    );
  }
  const known = digest ?? (compression === 'none' ? (place.diffID as string as Digest) : undefined);
  return makeLayer(table, place, {
    digest: known,
    mediaType: LEGACY_MEDIA_TYPES[compression],
    size: member.size,
    compression,
  });
}

interface BlobFacts {
  digest?: Digest;
  mediaType: string;
  size: number;
  compression: Compression;
  annotations?: Record<string, string>;
}

function makeLayer(table: MemberTable, place: LayerPlace, facts: BlobFacts): ArchiveLayer {
  const layer: ArchiveLayer = {
    index: place.index,
    member: place.member,
    diffID: place.diffID,
    mediaType: facts.mediaType,
    size: facts.size,
    compression: facts.compression,
    open: (options) => openBlob(table, place, facts, options),
    blobSource: () => memberSource(table, place),
  };
  if (facts.digest) layer.digest = facts.digest;
  if (facts.annotations) layer.annotations = facts.annotations;
  return layer;
}

/** Returns a ByteSource over the member's content, for random access such as an eStargz footer. */
function memberSource(table: MemberTable, place: LayerPlace): ByteSource {
  const member = resolveBlob(table, place);
  return {
    name: `${table.source.name}: ${describe(place)}`,
    size: member.size,
    read: (offset, length) => {
      const end = Math.min(member.size, offset + length);
      if (end <= offset) return Promise.resolve(new Uint8Array(0));
      return table.source.read(member.dataOffset + offset, end - offset);
    },
  };
}

async function* openBlob(
  table: MemberTable,
  place: LayerPlace,
  facts: BlobFacts,
  options: OpenLayerOptions = {},
): AsyncGenerator<Uint8Array> {
  const where = `reading ${table.source.name}: ${describe(place)}`;
  const member = resolveBlob(table, place);
  if (member.size !== facts.size) throw new SizeMismatchError(where, facts.size, member.size);
  const verify = facts.digest !== undefined && options.verifyDigest !== false;
  const hasher = verify ? await createHasher() : undefined;
  let read = 0;
  for await (const piece of table.stream(member, options)) {
    hasher?.update(piece);
    read += piece.length;
    yield piece;
  }
  if (read !== facts.size) throw new SizeMismatchError(where, facts.size, read);
  if (hasher && facts.digest) {
    const actual = hasher.digest();
    if (actual !== facts.digest) throw new DigestMismatchError(where, facts.digest, actual);
  }
}
