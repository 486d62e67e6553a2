/** `chunked-containers ls`: list a layer's entries, or the merged filesystem, like `tar -tv`. */
import { openImageArchive } from '../core/archive/open';
import type { ArchiveLayer } from '../core/archive/types';
import { decompress } from '../core/compression';
import { listingLine } from '../core/fs/listing';
import { mergeLayers } from '../core/fs/merge';
import type { TarEntry } from '../core/tar/entry';
import { parseTarStream } from '../core/tar/reader';
import { openArchiveFile } from './files';
import { UsageError, parseFlags } from './args';
import type { Options } from './args';
import { pickImages, platformFlag } from './chunk';
import type { Output } from './main';

export const LS_HELP = `usage: chunked-containers ls --image ARCHIVE [--layer N | --merged] [--json]

Lists tar entries with their metadata, like tar -tv.

flags:
  --image ARCHIVE     image archive (.tar) to read (required)
  --layer N           list layer N, counted from 0 (the base layer); default: every layer
  --merged            list the merged filesystem: all layers applied, whiteouts honoured
  --platform OS/ARCH  platform to pick from a multi-platform index (default linux/amd64)
  --json              print entries as JSON`;

const FLAGS: Options = {
  image: { type: 'string' },
  layer: { type: 'string' },
  merged: { type: 'boolean' },
  platform: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
};

/** Reads the entries of one layer by streaming it once. */
export async function layerEntries(layer: ArchiveLayer, name: string): Promise<TarEntry[]> {
  const entries: TarEntry[] = [];
  const pieces = decompress(layer.open(), layer.compression, { name });
  for await (const event of parseTarStream(pieces, { name })) {
    if (event.type === 'entry') entries.push(event.entry);
  }
  return entries;
}

export async function lsCommand(argv: string[], output: Output): Promise<number> {
  const { values } = parseFlags(argv, FLAGS);
  if (values.help) {
    output.out(LS_HELP);
    return 0;
  }
  if (typeof values.image !== 'string') throw new UsageError('--image ARCHIVE is required');
  if (values.layer !== undefined && values.merged) throw new UsageError('--layer and --merged exclude each other');
  let layerNumber: number | undefined;
  if (typeof values.layer === 'string') {
    layerNumber = Number(values.layer);
    if (!Number.isSafeInteger(layerNumber) || layerNumber < 0) {
      throw new UsageError(`--layer must be a layer number from 0, got ${JSON.stringify(values.layer)}`);
    }
  }
  const platform = platformFlag(values.platform as string | undefined);
  const source = await openArchiveFile(values.image);
  try {
    const archive = await openImageArchive(source);
    const [imageIndex] = pickImages(archive, platform);
    const image = await archive.loadImage(imageIndex);
    if (layerNumber !== undefined && layerNumber >= image.layers.length) {
      throw new UsageError(`--layer ${layerNumber}: the image has ${image.layers.length} layers (0 to ${image.layers.length - 1})`);
    }
    const wanted = layerNumber === undefined ? image.layers.map((_, i) => i) : [layerNumber];
    const perLayer: TarEntry[][] = [];
    for (const i of values.merged ? image.layers.map((_, n) => n) : wanted) {
      perLayer[i] = await layerEntries(image.layers[i], `layer ${i} (${image.layers[i].member})`);
    }
    if (values.merged) {
      const merged = mergeLayers(perLayer);
      if (values.json) output.out(JSON.stringify({ entries: merged.entries, waste: merged.waste }, null, 2));
      else for (const row of merged.entries) output.out(listingLine({ ...row.entry, path: row.path }));
      return 0;
    }
    if (values.json) {
      output.out(JSON.stringify(wanted.map((i) => ({ layer: i, entries: perLayer[i] })), null, 2));
      return 0;
    }
    for (const i of wanted) {
      if (wanted.length > 1) output.out(`# layer ${i} ${image.layers[i].digest ?? image.layers[i].member}`);
      for (const entry of perLayer[i]) output.out(listingLine(entry));
    }
    return 0;
  } finally {
    await source.close();
  }
}
