/**
 * `chunk --stargz`: converts each ingested image to eStargz from the chunk
 * store and writes `stargz/IMAGE-layer-N.stargz` under the store folder, with
 * the bundle `stargz/IMAGE.oci.tar` (an OCI image layout) beside them.
 */
import { createWriteStream } from 'node:fs';
import { mkdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { once } from 'node:events';
import { readBlob } from '../core/convert/blob-chunks';
import { bundleStream, imageFileStem } from '../core/convert/bundle';
import { convertStoredLayer, convertedImage, estargzOptions } from '../core/convert/estargz';
import type { ConvertOptions } from '../core/convert/estargz';
import type { EStargzImage, EStargzLayer, ImageRecord } from '../core/layer-index';
import type { FsChunkStore } from '../store/fs-chunk-store';
import { withStoreLock } from '../store/store-lock';
import { UsageError, integerFlag } from './args';
import type { Options } from './args';

/** Flags of the eStargz conversion, shared by `chunk` and `push`. */
export const STARGZ_FLAGS: Options = {
  stargz: { type: 'string' },
  'stargz-chunk-size-kb': { type: 'string' },
  'gzip-level': { type: 'string' },
  'prioritized-files': { type: 'string' },
};

/** Reads the eStargz flags into conversion options; a bad value is a usage error. */
export function convertFlags(values: Record<string, unknown>): ConvertOptions {
  const levelText = values['gzip-level'] as string | undefined;
  const level = levelText === undefined ? 9 : Number(levelText);
  if (!Number.isInteger(level) || level < 0 || level > 9) {
    throw new UsageError(`--gzip-level must be an integer from 0 to 9, got ${JSON.stringify(levelText)}`);
  }
  const list = values['prioritized-files'] as string | undefined;
  const chunkSizeKiB = integerFlag('stargz-chunk-size-kb', values['stargz-chunk-size-kb'] as string | undefined, 4096);
  return {
    chunkSize: chunkSizeKiB * 1024,
    level,
    prioritizedFiles: list ? list.split(',').map((path) => path.trim()).filter(Boolean) : [],
  };
}

/** Writes `pieces` to `path` through a temporary file, so a failed write leaves no file under that name. */
export async function writeStreamToFile(pieces: AsyncIterable<Uint8Array>, path: string): Promise<number> {
  const temporary = `${path}.tmp`;
  const file = createWriteStream(temporary);
  let size = 0;
  try {
    for await (const piece of pieces) {
      size += piece.length;
      if (!file.write(piece)) await once(file, 'drain');
    }
    file.end();
    await once(file, 'finish');
  } catch (error) {
    file.destroy();
    throw error;
  }
  await rename(temporary, path);
  return size;
}

export interface StargzFiles {
  converted: EStargzImage;
  layerFiles: string[];
  bundleFile: string;
}

/** Converts `record` to eStargz, stores the result with the record, and writes the files. */
export async function writeStargz(
  record: ImageRecord,
  store: FsChunkStore,
  options: ConvertOptions,
): Promise<StargzFiles> {
  const settings = estargzOptions(options);
  const started = performance.now();
  const layers: EStargzLayer[] = [];
  const updated = await withStoreLock(
    'shared',
    async () => {
      for (let i = 0; i < record.layers.length; i++) {
        const { missedPrioritizedFiles: _missed, ...layer } = await convertStoredLayer(record, i, store, options);
        layers.push(layer);
      }
      const converted = await convertedImage(record, layers, settings, (performance.now() - started) / 1000);
      const next: ImageRecord = { ...record, estargz: converted };
      await store.putImage(next, { signal: options.signal });
      return next;
    },
    { name: store.lockName, signal: options.signal },
  );
  const folder = join(store.root, 'stargz');
  await mkdir(folder, { recursive: true });
  const stem = imageFileStem(record);
  const layerFiles: string[] = [];
  for (const [i, layer] of updated.estargz!.layers.entries()) {
    const file = join(folder, `${stem}-layer-${i}.stargz`);
    await writeStreamToFile(readBlob(layer.chunks, store, { signal: options.signal }), file);
    layerFiles.push(file);
  }
  const bundleFile = join(folder, `${stem}.oci.tar`);
  await writeStreamToFile(bundleStream(updated, store, { signal: options.signal }), bundleFile);
  return { converted: updated.estargz!, layerFiles, bundleFile };
}
