/**
 * The benchmark's input: the images scripts/make-bench-images.sh made, or,
 * when they are missing, the bundled samples in public/samples.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** Folder of the made images; BENCH_IMAGES overrides it. */
export const DEFAULT_IMAGES_DIR = '/tmp/cc-bench-images';

export interface BenchLayer {
  digest: string;
  /** Compressed size, as stored in the archive. */
  size: number;
  diffID: string;
  /** The uncompressed tar, when the image script kept one. */
  tarPath?: string;
  tarSize?: number;
}

export interface BenchImage {
  name: string;
  archive: string;
  layers: BenchLayer[];
}

export interface BenchInput {
  /** 'made' for the images of make-bench-images.sh, 'samples' for public/samples. */
  kind: 'made' | 'samples';
  folder: string;
  /** The image every figure uses. */
  base: BenchImage;
  /** Shares layers with `base`; imported after it. */
  variant?: BenchImage;
  /** About twice `base`, for the memory check. */
  double?: BenchImage;
}

interface ImagesFile {
  [tag: string]: { archive: string; layers: { digest: string; size: number; diffID: string }[] };
}

/** Returns the made images, or undefined when images.json or an archive is missing. */
export function madeImages(folder = process.env.BENCH_IMAGES ?? DEFAULT_IMAGES_DIR): BenchInput | undefined {
  const listing = join(folder, 'images.json');
  if (!existsSync(listing)) return undefined;
  const images = JSON.parse(readFileSync(listing, 'utf8')) as ImagesFile;
  const image = (tag: string): BenchImage | undefined => {
    const entry = images[tag];
    if (!entry || !existsSync(join(folder, entry.archive))) return undefined;
    return {
      name: tag,
      archive: join(folder, entry.archive),
      layers: entry.layers.map((layer) => withTar(folder, layer)),
    };
  };
  const base = image('bench');
  if (!base) return undefined;
  return { kind: 'made', folder, base, variant: image('bench-variant'), double: image('bench-double') };
}

function withTar(folder: string, layer: BenchLayer): BenchLayer {
  const tarPath = join(folder, 'layers', `${layer.diffID.replace(/^sha256:/, '')}.tar`);
  if (!existsSync(tarPath)) return layer;
  return { ...layer, tarPath, tarSize: statSync(tarPath).size };
}

/** Returns the bundled samples: the docker-save one as base, its OCI v2 as variant. */
export function sampleImages(root = resolve('public/samples')): BenchInput {
  const image = (file: string): BenchImage => ({ name: file.replace(/\.tar$/, ''), archive: join(root, file), layers: [] });
  return {
    kind: 'samples',
    folder: root,
    base: image('tiny-tools.docker.tar'),
    variant: image('tiny-tools-v2.oci.tar'),
  };
}

export const MAKE_IMAGES_HINT = [
  'The benchmark images are missing, so this run uses the bundled samples',
  '(public/samples, a few MB: the figures say little). To make the real',
  'images (about 5 minutes, needs root and the Debian mirror), run',
  '  npm run bench:images',
  `which writes them to ${DEFAULT_IMAGES_DIR} (BENCH_IMAGES=DIR for another folder), then run npm run bench again.`,
].join('\n');
