/**
 * Builders of chunks, layer indexes and image records for the chunk store
 * tests. Browser-safe: no Node imports.
 */
import { utf8 } from '../../lib/core/bytes';
import type { Digest, DiffID } from '../../lib/core/digest';
import { LAYER_INDEX_SCHEMA, type ImageRecord, type LayerIndex } from '../../lib/core/layer-index';
import { sha256 } from '../../lib/core/sha256';
import type { ChunkStore } from '../../lib/store/chunk-store';

export interface TestChunk {
  digest: Digest;
  bytes: Uint8Array;
}

/** Returns `size` pseudo-random bytes, the same for the same seed (xorshift32). */
export function pseudoRandomBytes(seed: number, size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  let state = (seed * 2654435761 + 1) >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    bytes[i] = state & 0xff;
  }
  return bytes;
}

/** Returns a chunk of `size` pseudo-random bytes named by their SHA-256. */
export async function makeChunk(seed: number, size = 300): Promise<TestChunk> {
  const bytes = pseudoRandomBytes(seed, size);
  return { digest: await sha256(bytes), bytes };
}

/** Returns chunks for each seed. */
export function makeChunks(seeds: readonly number[], size = 300): Promise<TestChunk[]> {
  return Promise.all(seeds.map((seed) => makeChunk(seed, size)));
}

/** Returns a layer index over `chunks`, with two tar entries that use every optional field. */
export async function makeIndex(chunks: readonly TestChunk[]): Promise<LayerIndex> {
  let offset = 0;
  const list = chunks.map((chunk) => {
    const entry = { digest: chunk.digest, offset, size: chunk.bytes.length };
    offset += chunk.bytes.length;
    return entry;
  });
  const layerDigest = await sha256(utf8(`layer ${list.map((c) => c.digest).join()}`));
  return {
    schema: LAYER_INDEX_SCHEMA,
    layerDigest,
    diffID: (await sha256(utf8(`diff ${layerDigest}`))) as string as DiffID,
    mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
    compressedSize: Math.floor(offset / 2),
    size: offset,
    strategy: { name: 'content-defined', min: 2048, avg: 8192, max: 65536 },
    filesystem: true,
    chunks: list,
    entries: [
      {
        path: 'etc/café.conf',
        type: 'file',
        typeflag: '0',
        mode: 0o644,
        uid: 0,
        gid: 0,
        uname: 'root',
        gname: 'root',
        mtime: 1700000000.25,
        size: 12,
        xattrs: { 'user.comment': 'aGVsbG8=' },
        pax: { mtime: '1700000000.25', path: 'etc/café.conf' },
        headerOffset: 0,
        dataOffset: 1024,
      },
      {
        path: 'bin/sh',
        type: 'symlink',
        typeflag: '2',
        mode: 0o777,
        uid: 1000,
        gid: 1000,
        uname: '',
        gname: '',
        mtime: 0,
        size: 0,
        linkname: 'busybox',
        headerOffset: 1536,
        dataOffset: 2048,
      },
    ],
  };
}

/** Returns the digest that the tests name an index by: SHA-256 of its JSON. */
export async function indexDigestOf(index: LayerIndex): Promise<Digest> {
  return sha256(utf8(JSON.stringify(index)));
}

/** Returns every byte value 0–255 followed by `text`, to catch text decoding of raw bytes. */
export function rawBytes(text: string): Uint8Array {
  const all = Uint8Array.from({ length: 256 }, (_, i) => i);
  const tail = utf8(text);
  const bytes = new Uint8Array(all.length + tail.length);
  bytes.set(all);
  bytes.set(tail, all.length);
  return bytes;
}

/** Returns an image record whose layers are `indexes`. */
export async function makeImage(
  key: string,
  indexes: readonly { indexDigest: Digest; index: LayerIndex }[],
): Promise<ImageRecord> {
  const rawManifest = rawBytes(`{"manifest":"${key}"}`);
  const rawConfig = rawBytes(`{"config":"${key}"}`);
  return {
    key,
    manifestDigest: await sha256(rawManifest),
    manifestMediaType: 'application/vnd.oci.image.manifest.v1+json',
    rawManifest,
    configDigest: await sha256(rawConfig),
    rawConfig,
    sourceName: 'image.tar',
    repoTags: ['example.test/app:1.0'],
    platform: { os: 'linux', architecture: 'arm64', variant: 'v8' },
    strategy: { name: 'content-defined', min: 2048, avg: 8192, max: 65536 },
    filesystem: true,
    layers: indexes.map(({ indexDigest, index }) => ({
      layerDigest: index.layerDigest,
      diffID: index.diffID,
      mediaType: index.mediaType,
      compressedSize: index.compressedSize,
      size: index.size,
      chunkCount: index.chunks.length,
      indexDigest,
    })),
    createdAt: 1700000000000,
  };
}

/** What `ingestImage` stored. */
export interface StoredImage {
  record: ImageRecord;
  indexDigests: Digest[];
}

/**
 * Stores one image the way an ingest does: chunks, then each layer's index,
 * then the image record. `layers` lists each layer's chunks.
 */
export async function ingestImage(
  store: ChunkStore,
  key: string,
  layers: readonly (readonly TestChunk[])[],
): Promise<StoredImage> {
  const indexes = [];
  for (const chunks of layers) {
    await store.putMany(chunks);
    const index = await makeIndex(chunks);
    const indexDigest = await indexDigestOf(index);
    await store.putIndex(indexDigest, index);
    indexes.push({ indexDigest, index });
  }
  const record = await makeImage(key, indexes);
  await store.putImage(record);
  return { record, indexDigests: indexes.map((layer) => layer.indexDigest) };
}
