/** The fixed-size cutter: a chunk ends every `chunkSize` bytes of the stream. */
import type { ChunkCutter } from './strategy';

/** Cuts every `chunkSize` bytes, counted from the last cut; file-boundary extends it. */
export class SizeCutter implements ChunkCutter {
  protected readonly chunkSize: number;
  /** Stream offset of the first byte that the next push brings. */
  protected position = 0;
  protected lastCut = 0;

  constructor(chunkSize: number) {
    this.chunkSize = chunkSize;
  }

  push(piece: Uint8Array): number[] {
    const cuts: number[] = [];
    this.position += piece.length;
    this.cutBefore(this.position, cuts, true);
    return cuts;
  }

  finish(): number[] {
    if (this.position === this.lastCut) return [];
    this.lastCut = this.position;
    return [this.position];
  }

  /** Adds the size cuts before `offset`, and at it when `inclusive` is true. */
  protected cutBefore(offset: number, cuts: number[], inclusive: boolean): void {
    for (;;) {
      const next = this.lastCut + this.chunkSize;
      if (next > offset || (next === offset && !inclusive)) return;
      cuts.push(next);
      this.lastCut = next;
    }
  }
}

/** Returns a cutter that ends a chunk every `chunkSize` bytes of the stream. */
export function createFixedSizeCutter(chunkSize: number): ChunkCutter {
  return new SizeCutter(chunkSize);
}
