/**
 * `docker save` archives: manifest.json lists each image's config member,
 * repo tags and layer members. Legacy archives name layers `<id>/layer.tar`
 * (often symlinks to another image's layer) and configs `<hex>.json`; Docker
 * 25+ names both `blobs/sha256/<hex>` and adds `LayerSources` descriptors.
 */
import type { Digest } from '../digest';
import { isDigest } from '../digest';
import { DigestMismatchError, InvalidArchiveError } from '../errors';
import { DOCKER_MANIFEST, configPlatform, describeJSON, parseDescriptor, parseImageConfig } from '../oci';
import type { Descriptor, ImageConfig } from '../oci';
import { fromUTF8 } from '../bytes';
import { sha256 } from '../sha256';
import { describedLayer, legacyLayer } from './layer';
import type { MemberTable } from './members';
import { MAX_METADATA_BYTES, asArchiveError } from './metadata';
import { synthesizeManifest } from './synthesize';
import type { ArchiveImage, ArchiveLayer, ImageSlot } from './types';

/** One image of manifest.json. */
export interface DockerSaveItem {
  config: string;
  repoTags: string[];
  layers: string[];
  /** Descriptors by layer digest, from Docker 25+ `LayerSources`. */
  layerSources: Map<string, Descriptor>;
}

/**
 * Parses manifest.json. Throws InvalidArchiveError naming the archive for
 * invalid JSON, `null` or anything other than an array of image objects.
 */
export function parseDockerManifest(bytes: Uint8Array, archive: string): DockerSaveItem[] {
  const where = `reading ${archive}: manifest.json`;
  let value: unknown;
  try {
    value = JSON.parse(fromUTF8(bytes));
  } catch (error) {
    throw new InvalidArchiveError(`${where}: invalid JSON (${(error as Error).message})`, {
      cause: error,
    });
  }
  if (!Array.isArray(value)) {
    throw new InvalidArchiveError(`${where}: expected a JSON array of images, got ${describeJSON(value)}`);
  }
  return value.map((item, i) => parseItem(item, `${where}[${i}]`, archive));
}

function parseItem(item: unknown, where: string, archive: string): DockerSaveItem {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) {
    throw new InvalidArchiveError(`${where}: expected an object, got ${describeJSON(item)}`);
  }
  const object = item as Record<string, unknown>;
  const strings = (key: string, optional: boolean): string[] => {
    const list = object[key];
    if (optional && (list === null || list === undefined)) return [];
    if (!Array.isArray(list) || !list.every((s) => typeof s === 'string')) {
      throw new InvalidArchiveError(`${where}: ${key} must be an array of strings, got ${describeJSON(list)}`);
    }
    return list;
  };
  if (typeof object.Config !== 'string') {
    throw new InvalidArchiveError(`${where}: Config must be a string, got ${describeJSON(object.Config)}`);
  }
  const layerSources = new Map<string, Descriptor>();
  const sources = object.LayerSources;
  if (typeof sources === 'object' && sources !== null) {
    for (const [digest, descriptor] of Object.entries(sources)) {
      const parsed = asArchiveError(archive, () =>
        parseDescriptor(descriptor, `manifest.json LayerSources ${digest}`),
      );
      layerSources.set(digest, parsed);
    }
  }
  return {
    config: object.Config,
    repoTags: strings('RepoTags', true),
    layers: strings('Layers', false),
    layerSources,
  };
}

/** Returns the digest a content-addressed member path names, such as `blobs/sha256/<hex>`. */
export function digestFromPath(path: string, allowJSONSuffix = false): Digest | undefined {
  const match = allowJSONSuffix
    ? /(?:^|\/)([0-9a-f]{64})\.json$/.exec(path) ?? /^(?:\.\/)?blobs\/sha256\/([0-9a-f]{64})$/.exec(path)
    : /^(?:\.\/)?blobs\/sha256\/([0-9a-f]{64})$/.exec(path);
  const digest = match ? `sha256:${match[1]}` : undefined;
  return isDigest(digest) ? digest : undefined;
}

/** Returns the image slots of manifest.json, each marked unavailable when members are missing. */
export async function dockerSaveSlots(
  table: MemberTable,
  items: readonly DockerSaveItem[],
): Promise<ImageSlot[]> {
  const slots: ImageSlot[] = [];
  for (const [group, item] of items.entries()) {
    const missing = [item.config, ...item.layers].filter((path) => !table.has(path));
    const configDigest = digestFromPath(item.config, true);
    const platform = missing.length === 0 ? await peekPlatform(table, item.config) : undefined;
    slots.push({
      entry: {
        name: item.repoTags[0] ?? configDigest ?? item.config,
        repoTags: item.repoTags,
        group,
        ...(platform ? { platform } : {}),
        available: missing.length === 0,
        ...(missing.length > 0 ? { unavailableReason: `missing members: ${missing.join(', ')}` } : {}),
      },
      load: () => loadDockerImage(table, item, group),
    });
  }
  return slots;
}

/** Returns the config's platform for the image list, or undefined when it does not parse. */
async function peekPlatform(table: MemberTable, path: string) {
  try {
    const config = parseImageConfig(await table.readSmall(path, MAX_METADATA_BYTES), path);
    return configPlatform(config);
  } catch {
    // loadImage reports the error in full.
    return undefined;
  }
}

async function loadDockerImage(
  table: MemberTable,
  item: DockerSaveItem,
  group: number,
): Promise<ArchiveImage> {
  const archive = table.source.name;
  const rawConfig = await table.readSmall(item.config, MAX_METADATA_BYTES);
  const configDigest = await sha256(rawConfig);
  // Only `blobs/sha256/<hex>` is content-addressed. A legacy `<hex>.json`
  // name may be stale; docker load and skopeo take the digest of the content.
  const named = digestFromPath(item.config);
  if (named && named !== configDigest) {
    throw new DigestMismatchError(`reading ${archive}: config ${item.config}`, named, configDigest);
  }
  const config = asArchiveError(archive, () => parseImageConfig(rawConfig, item.config));
  checkLayerCount(archive, `manifest.json[${group}]`, item.layers.length, item.config, config);

  const layers: ArchiveLayer[] = [];
  for (const [index, member] of item.layers.entries()) {
    const place = { index, member, diffID: config.rootfs.diff_ids[index] };
    const digest = digestFromPath(member);
    const descriptor = digest ? item.layerSources.get(digest) : undefined;
    layers.push(
      descriptor
        ? await describedLayer(table, place, descriptor)
        : await legacyLayer(table, place, digest),
    );
  }

  const image: ArchiveImage = {
    name: item.repoTags[0] ?? configDigest,
    repoTags: item.repoTags,
    platform: configPlatform(config),
    manifestMediaType: DOCKER_MANIFEST,
    manifestSynthesized: true,
    configDigest,
    rawConfig,
    config,
    layers,
  };
  // The uncompressed size of a compressed layer is known only once it is read.
  if (layers.every((layer) => layer.compression === 'none')) {
    const built = await synthesizeManifest(
      rawConfig,
      layers.map((layer) => ({ digest: layer.diffID, size: layer.size })),
    );
    image.rawManifest = built.bytes;
    image.manifestDigest = built.digest;
  }
  return image;
}

/** Throws InvalidArchiveError when the config's diffIDs and the layer list differ in length. */
export function checkLayerCount(
  archive: string,
  listedIn: string,
  layerCount: number,
  configName: string,
  config: ImageConfig,
): void {
  const diffIDs = config.rootfs.diff_ids.length;
  if (diffIDs === layerCount) return;
  throw new InvalidArchiveError(
    `reading ${archive}: ${listedIn} lists ${layerCount} layers, ` +
      `but config ${configName} has ${diffIDs} diff_ids`,
  );
}
