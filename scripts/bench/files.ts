/** File and process helpers of the benchmark (Node only). */
import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { openImageArchive } from '../../lib/core/archive/open';
import { decompress } from '../../lib/core/compression';
import { openFileSource } from '../../lib/node/file-source';
import type { BenchImage } from './images';

import { writeStreamToFile } from '../../lib/cli/stargz';

export { writeStreamToFile };

export interface RunResult {
  status: number;
  stdout: string;
  stderr: string;
  seconds: number;
}

/** Runs a program to its end and resolves with its exit status, also when that is not zero. */
export function run(program: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<RunResult> {
  const started = performance.now();
  return new Promise((resolve) => {
    execFile(program, args, { ...options, maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
      let status = 0;
      if (error) status = typeof error.code === 'number' ? error.code : 127;
      resolve({ status, stdout, stderr: stderr || (error && status === 127 ? error.message : ''), seconds: (performance.now() - started) / 1000 });
    });
  });
}

/** Returns true when `program` runs with `args` and exits 0. */
export async function hasProgram(program: string, args = ['--version']): Promise<boolean> {
  return (await run(program, args)).status === 0;
}

/** Plain tar files of an image's layers: the image script's, or unpacked into `folder` here. */
export async function layerTars(image: BenchImage, folder: string): Promise<string[]> {
  if (image.layers.length > 0 && image.layers.every((layer) => layer.tarPath)) {
    return image.layers.map((layer) => layer.tarPath!);
  }
  await mkdir(folder, { recursive: true });
  const source = await openFileSource(image.archive);
  try {
    const archive = await openImageArchive(source);
    const loaded = await archive.loadImage(archive.images.findIndex((entry) => entry.available));
    const paths: string[] = [];
    for (const layer of loaded.layers) {
      const path = join(folder, `${layer.diffID.replace(/^sha256:/, '')}.tar`);
      await writeStreamToFile(decompress(layer.open(), layer.compression), path);
      paths.push(path);
    }
    return paths;
  } finally {
    await source.close();
  }
}
