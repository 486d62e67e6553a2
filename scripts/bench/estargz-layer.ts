/**
 * Builds one eStargz layer from a plain tar file with lib/core/estargz
 * `buildLayer` and prints one JSON line: input and output bytes, seconds,
 * digests. The benchmark runs one such process per core to build the layers
 * of an image side by side.
 *
 *   node --import tsx scripts/bench/estargz-layer.ts LAYER.tar OUT.esgz LEVEL
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { buildLayer } from '../../lib/core/estargz/build';
import type { CompressionLevel } from '../../lib/core/estargz/gzip-member';
import { parseTarStream } from '../../lib/core/tar/reader';
import { writeStreamToFile } from './files';

/** Piece size of the tar reads: 1 MiB. */
const READ_BYTES = 1 << 20;

export interface LayerBuild {
  inBytes: number;
  outBytes: number;
  seconds: number;
  digest: string;
  diffID: string;
  tocDigest: string;
}

/** Builds `tarPath` into `outPath` at `level`. */
export async function buildLayerFile(tarPath: string, outPath: string, level: number): Promise<LayerBuild> {
  const started = performance.now();
  const pieces = createReadStream(tarPath, { highWaterMark: READ_BYTES }) as AsyncIterable<Uint8Array>;
  const build = buildLayer(parseTarStream(pieces, { name: tarPath }), {
    level: level as CompressionLevel,
    name: tarPath,
  });
  const outBytes = await writeStreamToFile(build.stream, outPath);
  const result = await build.result;
  return {
    inBytes: (await stat(tarPath)).size,
    outBytes,
    seconds: (performance.now() - started) / 1000,
    digest: result.digest,
    diffID: result.diffID,
    tocDigest: result.tocDigest,
  };
}

if (process.argv[1]?.endsWith('estargz-layer.ts')) {
  const [tarPath, outPath, level] = process.argv.slice(2);
  buildLayerFile(tarPath, outPath, Number(level ?? 9)).then(
    (result) => process.stdout.write(`${JSON.stringify(result)}\n`),
    (error: Error) => {
      process.stderr.write(`estargz-layer: ${error.message}\n`);
      process.exitCode = 1;
    },
  );
}
