/**
 * Small hostile image archives built in memory: a `docker save` or OCI
 * layout wrapper around layer tars that the tests damage on purpose, plus
 * helpers to run the ingest on them and to check a stored image afterwards.
 */
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { bytesSource } from '../../lib/core/bytes';
import { openImageArchive } from '../../lib/core/archive/open';
import type { StrategyParams } from '../../lib/core/chunk/strategy';
import { ingestImage } from '../../lib/core/ingest/image';
import type { IngestImageResult } from '../../lib/core/ingest/image';
import type { ChunkStore } from '../../lib/store/chunk-store';
import { withStoreLock } from '../../lib/store/store-lock';
import { concat, file, header, tarOf } from '../fixtures/make-tar-fixtures';
import type { MemberSpec } from '../fixtures/make-tar-fixtures';

export const FIXED_64K: StrategyParams = { name: 'fixed-size', chunkSize: 64 << 10 };

const encoder = new TextEncoder();

/** Returns the OCI digest of `bytes`, by node:crypto. */
export function digestOf(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** Returns the hex part of the SHA-256 of `bytes`. */
export function hexOf(bytes: Uint8Array): string {
  return digestOf(bytes).slice(7);
}

/** Returns the JSON bytes of `value`. */
export function json(value: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(value));
}

/** Returns an image config whose rootfs lists `diffIDs`. */
export function configFor(diffIDs: string[]): Uint8Array {
  return json({
    architecture: 'amd64',
    os: 'linux',
    config: {},
    rootfs: { type: 'layers', diff_ids: diffIDs },
  });
}

/** Returns a small layer tar of a few files, different for each seed. */
export function smallLayerTar(seed: number): Uint8Array {
  return tarOf([
    { path: 'etc/' },
    { path: `etc/seed-${seed}`, content: `seed ${seed}\n`.repeat(300) },
    { path: 'usr/' },
    { path: `usr/blob-${seed}.bin`, content: pseudoRandom(seed, 150_000) },
  ]);
}

/** Returns `size` bytes of a seeded pseudo-random stream (xorshift32). */
export function pseudoRandom(seed: number, size: number): Uint8Array {
  const out = new Uint8Array(size);
  let state = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    out[i] = state & 0xff;
  }
  return out;
}

/** One layer of a built archive: its tar and how it is stored. */
export interface BuiltLayer {
  tar: Uint8Array;
  gzip?: boolean;
}

export interface DockerSaveSpec {
  layers: BuiltLayer[];
  repoTag?: string;
  /** Rewrites manifest.json before it is written. */
  manifest?: (items: Record<string, unknown>[]) => unknown;
  /** Rewrites the config's diff_ids before the config is written. */
  diffIDs?: (diffIDs: string[]) => string[];
  /** Members appended after the generated ones (before manifest.json). */
  extraMembers?: Uint8Array[];
  /** Member path for each layer blob; defaults to `<hex>/layer.tar`. */
  layerPath?: (hex: string, index: number) => string;
}

/** Builds a legacy `docker save` archive in memory. */
export function dockerSave(spec: DockerSaveSpec): Uint8Array {
  const parts: Uint8Array[] = [];
  const diffIDs: string[] = [];
  const paths: string[] = [];
  for (const [i, layer] of spec.layers.entries()) {
    const blob = layer.gzip ? new Uint8Array(gzipSync(layer.tar)) : layer.tar;
    diffIDs.push(digestOf(layer.tar));
    const path = spec.layerPath?.(hexOf(blob), i) ?? `${hexOf(blob)}/layer.tar`;
    paths.push(path);
    parts.push(file(path, blob));
  }
  const config = configFor(spec.diffIDs ? spec.diffIDs(diffIDs) : diffIDs);
  const configPath = `${hexOf(config)}.json`;
  parts.push(file(configPath, config));
  parts.push(...(spec.extraMembers ?? []));
  const items = [{ Config: configPath, RepoTags: [spec.repoTag ?? 'example/image:1'], Layers: paths }];
  parts.push(file('manifest.json', json(spec.manifest ? spec.manifest(items) : items)));
  parts.push(new Uint8Array(1024));
  return concat(parts);
}

/** A blob of an OCI layout: its bytes and descriptor. */
export interface Blob {
  bytes: Uint8Array;
  descriptor: { mediaType: string; digest: string; size: number; [key: string]: unknown };
}

/** Returns a blob with its descriptor. */
export function blob(mediaType: string, bytes: Uint8Array, extra: Record<string, unknown> = {}): Blob {
  return { bytes, descriptor: { mediaType, digest: digestOf(bytes), size: bytes.length, ...extra } };
}

/** Builds an OCI image layout tar from blobs and an index.json value. */
export function ociLayout(blobs: Blob[], index: unknown, extra: MemberSpec[] = []): Uint8Array {
  const members: MemberSpec[] = [
    { path: 'oci-layout', content: JSON.stringify({ imageLayoutVersion: '1.0.0' }) },
    { path: 'blobs/' },
    { path: 'blobs/sha256/' },
  ];
  const seen = new Set<string>();
  for (const { bytes, descriptor } of blobs) {
    const path = `blobs/${descriptor.digest.replace(':', '/')}`;
    if (seen.has(path)) continue;
    seen.add(path);
    members.push({ path, content: bytes });
  }
  members.push(...extra);
  members.push({ path: 'index.json', content: JSON.stringify(index) });
  return tarOf(members);
}

/** Returns the config, layer and manifest blobs of one image, and its manifest blob. */
export function ociImage(layers: Blob[], diffIDs: string[]): { blobs: Blob[]; manifest: Blob } {
  const config = blob('application/vnd.oci.image.config.v1+json', configFor(diffIDs));
  const manifest = blob(
    'application/vnd.oci.image.manifest.v1+json',
    json({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: config.descriptor,
      layers: layers.map((layer) => layer.descriptor),
    }),
  );
  return { blobs: [config, ...layers, manifest], manifest };
}

/** Returns a tar header block alone, for members whose content the test writes itself. */
export { header };

/**
 * Opens `bytes` as an archive and ingests every available image into
 * `store` under the shared store lock, as the command line does.
 */
export async function ingestBytes(
  name: string,
  bytes: Uint8Array,
  store: ChunkStore & { lockName?: string },
  options: { strategy?: StrategyParams; filesystem?: boolean; signal?: AbortSignal } = {},
): Promise<IngestImageResult[]> {
  const archive = await openImageArchive(bytesSource(name, bytes), { signal: options.signal });
  const results: IngestImageResult[] = [];
  for (const [index, entry] of archive.images.entries()) {
    if (!entry.available) continue;
    const image = await archive.loadImage(index, { signal: options.signal });
    const run = () =>
      ingestImage(image, name, {
        strategy: options.strategy ?? FIXED_64K,
        filesystem: options.filesystem ?? true,
        store,
        signal: options.signal,
      });
    results.push(await withStoreLock('shared', run, { name: store.lockName }));
  }
  return results;
}

/**
 * Condition of the `test.fixme` marks for known gaps. Set ADVERSARIAL_RUN_FIXME=1
 * to run those tests anyway and watch them fail.
 */
export const KNOWN_GAP = !process.env.ADVERSARIAL_RUN_FIXME;
