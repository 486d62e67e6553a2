/**
 * Chunking strategies. A strategy cuts a layer's uncompressed stream into
 * chunks; its name and parameters are recorded in every layer index it makes.
 */

export type StrategyParams =
  | { name: 'fixed-size'; chunkSize: number }
  | { name: 'file-boundary'; chunkSize: number }
  | { name: 'content-defined'; min: number; avg: number; max: number };

export type StrategyName = StrategyParams['name'];

/**
 * A stateful cutter over one stream. `push` takes the next piece and returns
 * the absolute stream offsets where chunks end inside it; `finish` returns the
 * end of the last chunk. A cut at offset N means the chunk ends before byte N.
 * Cuts ascend. Content-defined may return a cut one byte before the piece,
 * because its hash step over the previous piece's last byte needs this
 * piece's first byte. Callers therefore keep the bytes since the last cut.
 */
export interface ChunkCutter {
  /**
   * Consumes the next piece. `structure` lists absolute offsets inside or at
   * the end of this piece where a tar region (headers, content, padding)
   * starts; only file-boundary uses it.
   */
  push(piece: Uint8Array, structure?: readonly number[]): number[];
  /** Ends the stream and returns the remaining cut, if the last chunk is not empty. */
  finish(): number[];
}
