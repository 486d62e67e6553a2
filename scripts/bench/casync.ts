/**
 * `casync make` over the same plain tar layers, as a reference for
 * content-defined chunking into a local store: the same 16/64/256 KiB chunk
 * sizes and SHA-256, chunks compressed with zstd (casync always compresses
 * what it stores).
 */
import { readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { run } from './files';

export interface CasyncFigures {
  version: string;
  options: string[];
  seconds: number;
  inBytes: number;
  /** Chunks listed in the indexes, duplicates included. */
  chunks: number;
  /** Chunk files in the store. */
  chunksStored: number;
  averageChunkBytes: number;
  storedBytes: number;
}

/** Bytes of a .caibx before its items, and after them (the tail marker). */
const CAIBX_HEAD_BYTES = 48 + 16;
const CAIBX_TAIL_BYTES = 40;
const CAIBX_ITEM_BYTES = 40;

export const CASYNC_OPTIONS = ['--chunk-size=16384:65536:262144', '--digest=sha256', '--compression=zstd'];

/** Runs casync make per layer into one store; undefined when casync is missing. */
export async function runCasync(tars: string[], scratch: string): Promise<CasyncFigures | { unavailable: string }> {
  const version = await run('casync', ['--version']);
  if (version.status !== 0) return { unavailable: 'casync is not installed (apt-get install casync)' };
  const store = join(scratch, 'casync-store');
  const figures: CasyncFigures = {
    version: version.stdout.trim(),
    options: CASYNC_OPTIONS,
    seconds: 0,
    inBytes: 0,
    chunks: 0,
    chunksStored: 0,
    averageChunkBytes: 0,
    storedBytes: 0,
  };
  for (const tar of tars) {
    const index = join(scratch, `${basename(tar, '.tar')}.caibx`);
    const done = await run('casync', ['make', `--store=${store}`, ...CASYNC_OPTIONS, index, tar]);
    if (done.status !== 0) return { unavailable: `casync make failed: ${done.stderr.trim().split('\n')[0]}` };
    figures.seconds += done.seconds;
    figures.inBytes += (await stat(tar)).size;
    figures.chunks += ((await stat(index)).size - CAIBX_HEAD_BYTES - CAIBX_TAIL_BYTES) / CAIBX_ITEM_BYTES;
  }
  const files = await storeFiles(store);
  figures.chunksStored = files.length;
  figures.storedBytes = (await Promise.all(files.map((file) => stat(file).then((s) => s.size)))).reduce((a, b) => a + b, 0);
  figures.averageChunkBytes = figures.inBytes / figures.chunks;
  return figures;
}

async function storeFiles(folder: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(folder, { withFileTypes: true })) {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) found.push(...(await storeFiles(path)));
    else if (entry.name.endsWith('.cacnk')) found.push(path);
  }
  return found;
}
