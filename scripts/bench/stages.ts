/**
 * Stage timing shared by the browser page (test/bench-page) and the Node
 * side of the benchmark: each stage of the ingest runs over the same
 * uncompressed pieces, and only that stage's own calls are timed. No DOM and
 * no Node imports, so both bundles can use it.
 */
import type { ArchiveLayer } from '../../lib/core/archive/types';
import { createCutter } from '../../lib/core/chunk/cutter';
import { defaultStrategy, STRATEGY_NAMES } from '../../lib/core/chunk/params';
import type { ChunkCutter, StrategyName } from '../../lib/core/chunk/strategy';
import type { Digest } from '../../lib/core/digest';
import { createHasher } from '../../lib/core/sha256';
import { TarStreamParser } from '../../lib/core/tar/reader';
import type { ChunkStore } from '../../lib/store/chunk-store';

/** Size of the chunks the chunk-hash and store limits use: 64 KiB. */
export const CHUNK_BYTES = 64 * 1024;
/** Chunks per putMany, as the ingest batches them. */
export const PUT_BATCH = 64;

/** Time spent in one stage and the bytes it handled. */
export interface StageFigure {
  seconds: number;
  bytes: number;
}

export function stage(): StageFigure {
  return { seconds: 0, bytes: 0 };
}

const now = (): number => performance.now();

/** Runs `work`, adds its time and `bytes` to `figure`, and returns its result. */
export function timed<T>(figure: StageFigure, bytes: number, work: () => T): T {
  const started = now();
  const result = work();
  figure.seconds += (now() - started) / 1000;
  figure.bytes += bytes;
  return result;
}

export async function timedAsync<T>(
  figure: StageFigure,
  bytes: number,
  work: () => Promise<T>,
): Promise<T> {
  const started = now();
  const result = await work();
  figure.seconds += (now() - started) / 1000;
  figure.bytes += bytes;
  return result;
}

/** Reads a whole stream and returns its byte count; the time goes to `figure`. */
export async function drain(figure: StageFigure, pieces: AsyncIterable<Uint8Array>): Promise<number> {
  const started = now();
  let bytes = 0;
  for await (const piece of pieces) bytes += piece.length;
  figure.seconds += (now() - started) / 1000;
  figure.bytes += bytes;
  return bytes;
}

/** Cuts a stream into CHUNK_BYTES chunks, the last one shorter. */
export class Rechunker {
  private buffer = new Uint8Array(CHUNK_BYTES);
  private fill = 0;

  push(piece: Uint8Array, onChunk: (chunk: Uint8Array) => void): void {
    for (let at = 0; at < piece.length; ) {
      const n = Math.min(CHUNK_BYTES - this.fill, piece.length - at);
      this.buffer.set(piece.subarray(at, at + n), this.fill);
      this.fill += n;
      at += n;
      if (this.fill === CHUNK_BYTES) this.flush(onChunk);
    }
  }

  flush(onChunk: (chunk: Uint8Array) => void): void {
    if (this.fill === 0) return;
    onChunk(this.buffer.slice(0, this.fill));
    this.fill = 0;
  }
}

/** The stages after inflate, each timed alone. */
export interface StageFigures {
  /** hash-wasm SHA-256, streaming over the uncompressed bytes (the diffID). */
  hashWasmStreaming: StageFigure;
  /** The chunk hash of the ingest on each 64 KiB chunk, one call at a time. */
  chunkHash: StageFigure;
  tarParse: StageFigure;
  cut: Record<StrategyName, StageFigure>;
  /** ChunkStore.putMany of 64 KiB chunks, 64 per call, into an empty store. */
  putMany: StageFigure & { chunks: number; chunksNew: number };
}

export function stageFigures(): StageFigures {
  return {
    hashWasmStreaming: stage(),
    chunkHash: stage(),
    tarParse: stage(),
    cut: { 'fixed-size': stage(), 'file-boundary': stage(), 'content-defined': stage() },
    putMany: { ...stage(), chunks: 0, chunksNew: 0 },
  };
}

export interface StageTools {
  hashChunk: (bytes: Uint8Array) => Promise<Digest>;
  store: ChunkStore;
}

/**
 * Runs every stage over `pieces`, the uncompressed stream of one layer:
 * streaming hash, tar parse, each strategy's cutter (with the tar structure),
 * then per 64 KiB chunk the chunk hash and, per 64 chunks, one putMany.
 */
export async function measureStages(
  pieces: AsyncIterable<Uint8Array>,
  tools: StageTools,
  figures: StageFigures,
): Promise<void> {
  const hasher = await createHasher();
  const parser = new TarStreamParser({ name: 'bench layer' });
  const cutters = STRATEGY_NAMES.map(
    (name) => [name, createCutter(defaultStrategy(name), { filesystem: true })] as [StrategyName, ChunkCutter],
  );
  const rechunker = new Rechunker();
  let chunks: Uint8Array[] = [];
  const hashAndStore = async () => {
    const batch = chunks;
    chunks = [];
    const digests: Digest[] = [];
    for (const chunk of batch) {
      digests.push(await timedAsync(figures.chunkHash, chunk.length, () => tools.hashChunk(chunk)));
    }
    const bytes = batch.reduce((sum, chunk) => sum + chunk.length, 0);
    const fresh = await timedAsync(figures.putMany, bytes, () =>
      tools.store.putMany(batch.map((chunk, i) => ({ digest: digests[i], bytes: chunk }))),
    );
    figures.putMany.chunks += batch.length;
    figures.putMany.chunksNew += fresh.filter(Boolean).length;
  };
  for await (const piece of pieces) {
    timed(figures.hashWasmStreaming, piece.length, () => hasher.update(piece));
    timed(figures.tarParse, piece.length, () => parser.push(piece));
    const structure = parser.regionStarts;
    for (const [name, cutter] of cutters) {
      timed(figures.cut[name], piece.length, () => cutter.push(piece, structure));
    }
    rechunker.push(piece, (chunk) => chunks.push(chunk));
    if (chunks.length >= PUT_BATCH) await hashAndStore();
  }
  parser.finish();
  for (const [, cutter] of cutters) cutter.finish();
  rechunker.flush((chunk) => chunks.push(chunk));
  if (chunks.length > 0) await hashAndStore();
  hasher.digest();
}

/** Reads a layer blob as stored and hashes it with hash-wasm (the blob digest check), timing each apart. */
export async function readAndHashBlob(
  layer: ArchiveLayer,
  read: StageFigure,
  blobDigest: StageFigure,
): Promise<void> {
  const hasher = await createHasher();
  const pieces = layer.open({ verifyDigest: false })[Symbol.asyncIterator]();
  for (;;) {
    const next = await timedAsync(read, 0, () => pieces.next());
    if (next.done) break;
    read.bytes += next.value.length;
    timed(blobDigest, next.value.length, () => hasher.update(next.value));
  }
  hasher.digest();
}
