/**
 * Builds an eStargz layer from tar events, as a stream of blob bytes.
 *
 * Limits: gzip members only (no zstd:chunked); input entries named
 * `stargz.index.json`, `.prefetch.landmark` or `.no.prefetch.landmark` are
 * dropped, because the builder writes its own.
 *
 * NOTE: the estargz package's `Build` keeps only the last entry of each name,
 * at that entry's position. This builder keeps every entry in stream order,
 * which extracts to the same tree.
 */
import { InvalidInputError, abortError } from '../errors';
import { DEFAULT_CHUNK_SIZE_4MIB } from './types';
import type { CompressionLevel } from './gzip-member';
import { LayerWriter } from './layer-writer';
import type { LayerResult } from './layer-writer';
import { orderEvents } from './order';
import type { OrderOptions, TarEventSource } from './order';

export type { TarEventSource } from './order';
export type { LayerResult } from './layer-writer';

/** Progress of one build, reported about once per MiB of output and at the end. */
export interface BuildProgress {
  phase: 'estargz';
  /** Content bytes of the input's entries consumed so far. */
  bytesDone: number;
  /** Blob bytes produced so far. */
  bytesWritten: number;
}

export interface BuildOptions extends OrderOptions {
  /** Largest chunk of a file's content per gzip member; default 4 MiB. */
  chunkSize?: number;
  /** Deflate level; default 9, as the estargz package's default `gzip.BestCompression`. */
  level?: CompressionLevel;
  /** Layer name used in error messages. */
  name?: string;
  onProgress?: (progress: BuildProgress) => void;
}

/** The result of a build, with the prioritized files that were not found. */
export interface BuildResult extends LayerResult {
  missedPrioritizedFiles: string[];
}

/** Output is handed on in pieces of at least this size, except the last. */
const OUTPUT_PIECE_SIZE_BYTES = 256 * 1024;
const PROGRESS_STEP_BYTES = 1 << 20;

/**
 * Starts a build. The blob comes out of `stream` as it is read; `result`
 * settles when `stream` has been read to its end, or fails with it. With
 * `prioritizedFiles`, `source` must be a function that reads the events anew
 * (see order.ts). The same events and options always give the same bytes.
 */
export function buildLayer(
  source: TarEventSource,
  options: BuildOptions = {},
): { stream: AsyncIterable<Uint8Array>; result: Promise<BuildResult> } {
  let settle!: { resolve: (result: BuildResult) => void; reject: (error: unknown) => void };
  const result = new Promise<BuildResult>((resolve, reject) => {
    settle = { resolve, reject };
  });
  // A failure also reaches the reader of `stream`; this keeps it from being unhandled.
  result.catch(() => {});
  const stream = (async function* () {
    try {
      const done = yield* runBuild(source, options);
      settle.resolve(done);
    } catch (error) {
      settle.reject(error);
      throw error;
    }
  })();
  return { stream, result };
}

async function* runBuild(
  source: TarEventSource,
  options: BuildOptions,
): AsyncGenerator<Uint8Array, BuildResult> {
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE_4MIB;
  if (!Number.isSafeInteger(chunkSize) || chunkSize < 1) {
    throw new InvalidInputError(`buildLayer: invalid chunkSize ${chunkSize}`);
  }
  const level = options.level ?? 9;
  if (!Number.isInteger(level) || level < 0 || level > 9) {
    throw new InvalidInputError(`buildLayer: invalid level ${level}, expected 0 to 9`);
  }
  const signal = options.signal;
  if (signal?.aborted) throw abortError();
  const writer = await LayerWriter.create(options.name ?? 'layer', chunkSize, level);
  const missed: string[] = [];
  const progress = progressReporter(options.onProgress);

  for await (const event of orderEvents(source, options, missed)) {
    if (signal?.aborted) throw abortError();
    if (event.type === 'entry') await writer.entry(event.entry);
    else if (event.type === 'data') await writer.data(event.bytes);
    progress.consumed(event.type === 'data' ? event.bytes.length : 0);
    if (writer.pendingBytes >= OUTPUT_PIECE_SIZE_BYTES) {
      progress.wrote(writer.pendingBytes, false);
      yield writer.drain();
    }
  }
  const done = await writer.finish();
  progress.wrote(writer.pendingBytes, true);
  yield writer.drain();
  return { ...done, missedPrioritizedFiles: missed };
}

function progressReporter(onProgress: BuildOptions['onProgress']) {
  let bytesDone = 0;
  let bytesWritten = 0;
  let reported = 0;
  return {
    consumed(bytes: number) {
      bytesDone += bytes;
    },
    wrote(bytes: number, last: boolean) {
      bytesWritten += bytes;
      if (onProgress === undefined) return;
      if (!last && bytesWritten - reported < PROGRESS_STEP_BYTES) return;
      reported = bytesWritten;
      onProgress({ phase: 'estargz', bytesDone, bytesWritten });
    },
  };
}
