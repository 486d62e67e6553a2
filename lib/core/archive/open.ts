/**
 * Opens an image archive: walks the outer tar's headers, then reads the image
 * list from index.json (OCI image layout, also inside Docker 25+ archives) or
 * manifest.json (`docker save`). Only header blocks and small metadata
 * members are read here; layers are read when the caller opens them.
 */
import type { ByteSource } from '../bytes';
import { SNIFF_BYTES, sniffCompression } from '../compression';
import { InvalidArchiveError, InvalidInputError } from '../errors';
import type { DockerSaveItem } from './docker-save';
import { digestFromPath, dockerSaveSlots, parseDockerManifest } from './docker-save';
import { readMemberTable } from './members';
import type { MemberTable } from './members';
import { MAX_METADATA_BYTES } from './metadata';
import { ociLayoutSlots } from './oci-layout';
import type { ArchiveFormat, ImageArchive, ImageSlot } from './types';

/**
 * Rejects a file that is not a plain tar before its headers are walked, so a
 * compressed archive or another kind of file gets a message naming its
 * format instead of a checksum error at offset 0.
 */
async function checkOuterFormat(source: ByteSource): Promise<void> {
  if (source.size === 0) {
    throw new InvalidArchiveError(`reading ${source.name}: the file is empty, not an image archive`);
  }
  const format = sniffCompression(await source.read(0, SNIFF_BYTES));
  if (format === 'gzip' || format === 'zstd') {
    throw new InvalidArchiveError(
      `reading ${source.name}: the file is ${format}-compressed; image archives are plain tar files, ` +
        `so decompress it first (docker save and skopeo write them uncompressed)`,
    );
  }
  if (format === 'unknown') {
    throw new InvalidArchiveError(
      `reading ${source.name}: not a tar archive (no tar header at offset 0); expected docker save output or an OCI image-layout tar`,
    );
  }
}

/**
 * Returns the archive's image list and a loader per image. Throws
 * InvalidArchiveError when neither manifest.json nor index.json is present,
 * when they are malformed or list no images, and InvalidTarError when the
 * outer tar is malformed.
 */
export async function openImageArchive(
  source: ByteSource,
  options: { signal?: AbortSignal } = {},
): Promise<ImageArchive> {
  await checkOuterFormat(source);
  const table = await readMemberTable(source, options);
  const hasIndex = table.has('index.json');
  const hasDockerManifest = table.has('manifest.json');
  if (!hasIndex && !hasDockerManifest) {
    throw new InvalidArchiveError(
      `reading ${source.name}: neither manifest.json (docker save) nor index.json ` +
        `(OCI image layout) is in the archive`,
    );
  }
  const dockerItems = hasDockerManifest
    ? parseDockerManifest(await table.readSmall('manifest.json', MAX_METADATA_BYTES), source.name)
    : undefined;
  const format: ArchiveFormat = hasDockerManifest ? 'docker-save' : 'oci-layout';
  const slots = await imageSlots(table, dockerItems, hasIndex);
  if (slots.length === 0) {
    const list = hasIndex ? 'index.json' : 'manifest.json';
    throw new InvalidArchiveError(`reading ${source.name}: ${list} lists no images`);
  }
  return {
    format,
    name: source.name,
    images: slots.map((slot) => slot.entry),
    async loadImage(index, loadOptions = {}) {
      const slot = slots[index];
      if (!slot) {
        throw new InvalidInputError(
          `loadImage: index ${index} is out of range; the archive has ${slots.length} images`,
        );
      }
      return slot.load(loadOptions);
    },
  };
}

/**
 * Prefers the OCI layout when index.json lists images, taking repo tags
 * from manifest.json; otherwise reads manifest.json alone.
 */
async function imageSlots(
  table: MemberTable,
  dockerItems: DockerSaveItem[] | undefined,
  hasIndex: boolean,
): Promise<ImageSlot[]> {
  if (hasIndex && (!dockerItems || table.has('oci-layout'))) {
    const slots = await ociLayoutSlots(table, dockerTagsByConfig(dockerItems ?? []));
    if (slots.length > 0 || !dockerItems) return slots;
  }
  return dockerItems ? dockerSaveSlots(table, dockerItems) : [];
}

function dockerTagsByConfig(items: readonly DockerSaveItem[]): Map<string, string[]> {
  const tags = new Map<string, string[]>();
  for (const item of items) {
    const digest = digestFromPath(item.config, true);
    if (digest && item.repoTags.length > 0) tags.set(digest, item.repoTags);
  }
  return tags;
}
