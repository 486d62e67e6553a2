/**
 * The file-boundary cutter: a chunk ends where each tar region (header blocks,
 * content, padding, end-of-archive zeros) starts, and a region longer than
 * `chunkSize` is split into `chunkSize` pieces counted from its start.
 */
import { InvalidInputError } from '../errors';
import { SizeCutter } from './fixed-size';
import type { ChunkCutter } from './strategy';

/** Cuts at every tar region start and every `chunkSize` bytes inside a region. */
class FileBoundaryCutter extends SizeCutter {
  override push(piece: Uint8Array, structure: readonly number[] = []): number[] {
    const start = this.position;
    const end = start + piece.length;
    const cuts: number[] = [];
    let previous = start;
    for (const offset of structure) {
      checkStructureOffset(offset, previous, start, end);
      previous = offset;
      this.cutBefore(offset, cuts, false);
      if (offset > this.lastCut) {
        cuts.push(offset);
        this.lastCut = offset;
      }
    }
    this.position = end;
    this.cutBefore(end, cuts, true);
    return cuts;
  }
}

function checkStructureOffset(
  offset: number,
  previous: number,
  start: number,
  end: number,
): void {
  if (!Number.isInteger(offset) || offset < previous || offset > end) {
    throw new InvalidInputError(
      `file-boundary cutter: structure offset ${offset} must be ascending and inside the piece ${start}..${end}`,
    );
  }
}

/**
 * Returns a cutter that ends a chunk where each tar region starts, as listed
 * in `structure`, and splits a region longer than `chunkSize` into
 * `chunkSize` pieces from the region's start.
 */
export function createFileBoundaryCutter(chunkSize: number): ChunkCutter {
  return new FileBoundaryCutter(chunkSize);
}
