/**
 * OCI image layouts (image-spec "Image Layout"): `oci-layout` gives the
 * version, `index.json` lists manifests or nested indexes, and every blob
 * sits at `blobs/<algorithm>/<hex>`. Multi-platform indexes yield one entry
 * per platform, and attestation manifests are left out. Docker 25+ lists
 * every platform but saves one, so platforms whose blobs are missing are
 * listed as unavailable.
 */
import { InvalidArchiveError, UnsupportedError } from '../errors';
import {
  ANNOTATION_CONTAINERD_IMAGE_NAME,
  ANNOTATION_DOCKER_REFERENCE_TYPE,
  ANNOTATION_REF_NAME,
  configPlatform,
  formatPlatform,
  isIndexMediaType,
  isManifestMediaType,
  parseImageConfig,
  parseImageIndex,
  parseImageManifest,
  parseJSONObject,
} from '../oci';
import type { Descriptor, ImageManifest, Platform } from '../oci';
import { checkLayerCount } from './docker-save';
import { describedLayer } from './layer';
import type { MemberTable } from './members';
import { MAX_METADATA_BYTES, asArchiveError, blobPath, readBlob } from './metadata';
import type { ArchiveImage, ArchiveImageEntry, ArchiveLayer, ImageSlot } from './types';

/** Nested indexes followed below index.json before the layout counts as malformed. */
const MAX_INDEX_DEPTH = 8;

/**
 * Descriptors walked below index.json, nested ones included, before the
 * layout counts as malformed. Nested indexes may list the same child many
 * times, so without this bound a small archive could name exponentially
 * many manifests.
 */
const MAX_INDEX_DESCRIPTORS = 10_000;

/** Checks `oci-layout`; only image layout version 1.x is read. */
export async function checkLayoutVersion(table: MemberTable): Promise<void> {
  const archive = table.source.name;
  const bytes = await table.readSmall('oci-layout', 64 << 10);
  const layout = asArchiveError(archive, () => parseJSONObject(bytes, 'oci-layout'));
  const version = layout.imageLayoutVersion;
  if (typeof version !== 'string') {
    throw new InvalidArchiveError(`reading ${archive}: oci-layout: imageLayoutVersion is missing`);
  }
  if (!/^1\.\d+\.\d+$/.test(version)) {
    throw new UnsupportedError(
      `reading ${archive}: oci-layout: image layout version ${version} is not supported (expected 1.x)`,
    );
  }
}

/** A manifest descriptor found under one index.json entry. */
interface Candidate {
  group: number;
  /** The index.json entry it came from, whose annotations name the image. */
  top: Descriptor;
  descriptor: Descriptor;
  /** Reason it cannot be read, found while walking the indexes. */
  problem?: string;
}

/**
 * Returns true for attestation manifests: BuildKit marks them with
 * `vnd.docker.reference.type: attestation-manifest` and platform unknown/unknown.
 */
function isAttestation(descriptor: Descriptor): boolean {
  const type = descriptor.annotations?.[ANNOTATION_DOCKER_REFERENCE_TYPE];
  const platform = descriptor.platform;
  return (
    type === 'attestation-manifest' ||
    (platform?.os === 'unknown' && platform.architecture === 'unknown')
  );
}

/**
 * Returns one slot per platform manifest of the layout. `dockerTags` maps a
 * config digest to the repo tags manifest.json gives it, for Docker 25+.
 */
export async function ociLayoutSlots(
  table: MemberTable,
  dockerTags: ReadonlyMap<string, string[]>,
): Promise<ImageSlot[]> {
  await checkLayoutVersion(table);
  const bytes = await table.readSmall('index.json', MAX_METADATA_BYTES);
  const index = asArchiveError(table.source.name, () => parseImageIndex(bytes, 'index.json'));
  const slots: ImageSlot[] = [];
  const walk: IndexWalk = { descriptorsLeft: MAX_INDEX_DESCRIPTORS };
  for (const [group, top] of index.manifests.entries()) {
    if (isAttestation(top)) continue;
    const candidates = await collect(table, { group, top, descriptor: top }, 0, new Set(), walk);
    for (const candidate of candidates) slots.push(await probe(table, candidate, dockerTags));
  }
  return slots;
}

/** Budget of one walk over index.json and its nested indexes. */
interface IndexWalk {
  descriptorsLeft: number;
}

/** Walks nested indexes down to manifest descriptors. */
async function collect(
  table: MemberTable,
  candidate: Candidate,
  depth: number,
  seen: Set<string>,
  walk: IndexWalk,
): Promise<Candidate[]> {
  const { descriptor } = candidate;
  if (--walk.descriptorsLeft < 0) {
    throw new InvalidArchiveError(
      `reading ${table.source.name}: index.json and its nested indexes list more than ` +
        `${MAX_INDEX_DESCRIPTORS} descriptors`,
    );
  }
  if (isManifestMediaType(descriptor.mediaType)) return [candidate];
  if (!isIndexMediaType(descriptor.mediaType)) {
    return [{ ...candidate, problem: `media type ${descriptor.mediaType} is not an image` }];
  }
  if (depth >= MAX_INDEX_DEPTH || seen.has(descriptor.digest)) {
    throw new InvalidArchiveError(
      `reading ${table.source.name}: index ${descriptor.digest} nests too deep or refers to itself`,
    );
  }
  if (!table.has(blobPath(descriptor.digest))) {
    return [{ ...candidate, problem: `index blob ${descriptor.digest} is missing` }];
  }
  const bytes = await readBlob(table, descriptor, 'image index');
  const path = blobPath(descriptor.digest);
  const index = asArchiveError(table.source.name, () => parseImageIndex(bytes, path));
  const found: Candidate[] = [];
  for (const child of index.manifests) {
    if (isAttestation(child)) continue;
    const next = { ...candidate, descriptor: child };
    const nested = new Set([...seen, descriptor.digest]);
    found.push(...(await collect(table, next, depth + 1, nested, walk)));
  }
  return found;
}

/** Reads a candidate's manifest, checks which blobs are present and builds its slot. */
async function probe(
  table: MemberTable,
  candidate: Candidate,
  dockerTags: ReadonlyMap<string, string[]>,
): Promise<ImageSlot> {
  const { descriptor, top } = candidate;
  const entry: ArchiveImageEntry = {
    name: imageName(top, []),
    repoTags: [],
    group: candidate.group,
    manifestDigest: descriptor.digest,
    available: false,
  };
  if (descriptor.platform) entry.platform = descriptor.platform;
  const unavailable = (reason: string, error?: unknown): ImageSlot => {
    entry.unavailableReason = reason;
    return { entry, load: () => Promise.reject(error ?? notAvailable(table, entry)) };
  };
  if (candidate.problem) return unavailable(candidate.problem);
  if (!table.has(blobPath(descriptor.digest))) {
    return unavailable(`manifest blob ${descriptor.digest} is missing`);
  }

  let rawManifest: Uint8Array;
  let manifest: ImageManifest;
  try {
    rawManifest = await readBlob(table, descriptor, 'image manifest');
    manifest = asArchiveError(table.source.name, () =>
      parseImageManifest(rawManifest, blobPath(descriptor.digest)),
    );
  } catch (error) {
    return unavailable((error as Error).message, error);
  }
  const missing = [manifest.config, ...manifest.layers]
    .filter((blob) => !table.has(blobPath(blob.digest)))
    .map((blob) => blob.digest);
  entry.repoTags = repoTags(top, dockerTags.get(manifest.config.digest));
  entry.name = imageName(top, entry.repoTags);
  if (missing.length > 0) return unavailable(`missing blobs: ${missing.join(', ')}`);
  entry.platform ??= await peekPlatform(table, manifest.config);
  entry.available = true;
  const loaded = { rawManifest, manifest, descriptor, entry };
  return { entry, load: () => loadOCIImage(table, loaded) };
}

function repoTags(top: Descriptor, fromDocker: string[] | undefined): string[] {
  if (fromDocker && fromDocker.length > 0) return fromDocker;
  const name = top.annotations?.[ANNOTATION_CONTAINERD_IMAGE_NAME];
  return name ? [name] : [];
}

function imageName(top: Descriptor, tags: string[]): string {
  return (
    tags[0] ??
    top.annotations?.[ANNOTATION_CONTAINERD_IMAGE_NAME] ??
    top.annotations?.[ANNOTATION_REF_NAME] ??
    top.digest
  );
}

async function peekPlatform(table: MemberTable, config: Descriptor): Promise<Platform | undefined> {
  try {
    const bytes = await readBlob(table, config, 'image config');
    return configPlatform(parseImageConfig(bytes, blobPath(config.digest)));
  } catch {
    // loadImage reports the error in full.
    return undefined;
  }
}

function notAvailable(table: MemberTable, entry: ArchiveImageEntry): Error {
  const platform = entry.platform ? ` (${formatPlatform(entry.platform)})` : '';
  return new InvalidArchiveError(
    `reading ${table.source.name}: image ${entry.name}${platform} is not available: ` +
      `${entry.unavailableReason}`,
  );
}

interface LoadedManifest {
  rawManifest: Uint8Array;
  manifest: ImageManifest;
  descriptor: Descriptor;
  entry: ArchiveImageEntry;
}

async function loadOCIImage(table: MemberTable, loaded: LoadedManifest): Promise<ArchiveImage> {
  const archive = table.source.name;
  const { manifest, descriptor, entry } = loaded;
  const configPath = blobPath(manifest.config.digest);
  const rawConfig = await readBlob(table, manifest.config, 'image config');
  const config = asArchiveError(archive, () => parseImageConfig(rawConfig, configPath));
  const listedIn = `manifest ${descriptor.digest}`;
  checkLayerCount(archive, listedIn, manifest.layers.length, configPath, config);

  const layers: ArchiveLayer[] = [];
  for (const [index, layer] of manifest.layers.entries()) {
    const place = { index, member: blobPath(layer.digest), diffID: config.rootfs.diff_ids[index] };
    layers.push(await describedLayer(table, place, layer));
  }
  const platform = config.os ? configPlatform(config) : (entry.platform ?? configPlatform(config));
  return {
    name: entry.name,
    repoTags: entry.repoTags,
    platform,
    manifestDigest: descriptor.digest,
    manifestMediaType: manifest.mediaType ?? descriptor.mediaType,
    rawManifest: loaded.rawManifest,
    manifestSynthesized: false,
    configDigest: manifest.config.digest,
    rawConfig,
    config,
    layers,
  };
}
