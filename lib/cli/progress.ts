/** `--verbose` output: progress lines per layer on stderr. */
import { formatBytes } from '../core/format';
import type { LayerOutcome } from '../core/ingest/image';
import type { LayerProgress } from '../core/ingest/layer';

/** Milliseconds between two progress lines of one layer. */
const PROGRESS_INTERVAL_MS = 1000;

/**
 * Returns an onProgress callback that prints a line when a layer starts and
 * then at most one a second per layer, instead of one per piece read.
 */
export function progressPrinter(
  print: (line: string) => void,
  now: () => number = () => performance.now(),
): (progress: LayerProgress) => void {
  const printedAt = new Map<number, number>();
  return (progress) => {
    const time = now();
    const last = printedAt.get(progress.layerIndex);
    if (last !== undefined && time - last < PROGRESS_INTERVAL_MS) return;
    printedAt.set(progress.layerIndex, time);
    print(
      `layer ${progress.layerIndex}: ${progress.bytesDone}/${progress.bytesTotal} bytes read, ` +
        `${progress.chunksNew} new and ${progress.chunksDeduplicated} deduplicated chunks`,
    );
  };
}

/** Returns the line that `--verbose` prints once a layer is stored. */
export function layerDoneLine(outcome: LayerOutcome): string {
  return (
    `layer ${outcome.layerIndex}: done, ${formatBytes(outcome.size)} uncompressed in ` +
    `${outcome.chunkCount} chunks (${outcome.chunksNew} new, ${outcome.chunksDeduplicated} deduplicated), ` +
    `index ${outcome.indexDigest}`
  );
}
