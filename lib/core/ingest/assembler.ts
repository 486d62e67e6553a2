import { assert } from '../errors';

/**
 * Holds the bytes since the last cut and hands out each chunk as one compact
 * array. Chunks are copied so that a stored chunk never pins the larger piece
 * it came from (IndexedDB clones a view's whole buffer).
 */
export class ChunkAssembler {
  private parts: Uint8Array[] = [];
  private held = 0;
  /** Stream offset of the first byte held. */
  start = 0;

  append(piece: Uint8Array): void {
    if (piece.length === 0) return;
    this.parts.push(piece);
    this.held += piece.length;
  }

  /** Removes and returns the bytes from `start` up to stream offset `end`. */
  take(end: number): Uint8Array {
    const size = end - this.start;
    // Messages are built only on failure, because this runs once per chunk.
    if (size <= 0) assert(false, `cut at ${end} is not after the chunk start ${this.start}`);
    if (size > this.held) assert(false, `cut at ${end} is past the buffered bytes ${this.start}..${this.start + this.held}`);
    const out = new Uint8Array(size);
    let filled = 0;
    while (filled < size) {
      const part = this.parts[0];
      const needed = size - filled;
      if (part.length <= needed) {
        out.set(part, filled);
        filled += part.length;
        this.parts.shift();
      } else {
        out.set(part.subarray(0, needed), filled);
        this.parts[0] = part.subarray(needed);
        filled += needed;
      }
    }
    this.held -= size;
    this.start = end;
    return out;
  }
}
