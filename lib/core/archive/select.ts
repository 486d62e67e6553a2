/** Picks one image of an archive by platform. */
import { NotFoundError } from '../errors';
import { formatPlatform } from '../oci';
import type { Platform } from '../oci';
import type { ImageArchive } from './types';

/** Platform picked when the caller names none. */
export const DEFAULT_PLATFORM: Platform = { os: 'linux', architecture: 'amd64' };

/**
 * Returns true when `candidate` runs on `wanted`: same OS and architecture,
 * and the same variant when `wanted` names one. arm64 without a variant
 * counts as arm64/v8, the baseline arm64 variant.
 */
export function platformMatches(candidate: Platform, wanted: Platform): boolean {
  if (candidate.os !== wanted.os || candidate.architecture !== wanted.architecture) return false;
  if (!wanted.variant) return true;
  const variant = candidate.variant ?? (candidate.architecture === 'arm64' ? 'v8' : undefined);
  return variant === wanted.variant;
}

/**
 * Returns the index in `archive.images` of the image to load: the first
 * available one matching `platform` (within `group`, when given). Without a
 * `platform`, linux/amd64 is preferred and any available image is the
 * fallback. Throws NotFoundError listing what the archive has.
 */
export function selectImage(
  archive: ImageArchive,
  options: { platform?: Platform; group?: number } = {},
): number {
  const wanted = options.platform ?? DEFAULT_PLATFORM;
  const candidates = archive.images
    .map((entry, index) => ({ entry, index }))
    .filter(({ entry }) => options.group === undefined || entry.group === options.group);
  const match = candidates.find(
    ({ entry }) => entry.available && entry.platform && platformMatches(entry.platform, wanted),
  );
  if (match) return match.index;
  if (!options.platform) {
    const fallback = candidates.find(({ entry }) => entry.available);
    if (fallback) return fallback.index;
  }
  const listed = candidates.map(({ entry }) => {
    const platform = entry.platform ? formatPlatform(entry.platform) : 'unknown platform';
    return `${entry.name} ${platform}${entry.available ? '' : ' (unavailable)'}`;
  });
  throw new NotFoundError(
    `${archive.name}: no available image for ${formatPlatform(wanted)}; ` +
      `the archive has ${listed.join(', ') || 'no images'}`,
  );
}
