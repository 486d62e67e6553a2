/** Byte sources and stream helpers shared by the readers and writers. */
import { abortError } from './errors';

/**
 * Random access to a file's bytes: `Blob.slice` in the browser, a file handle
 * in Node. Readers call `read` per header or per piece, never for a whole file.
 */
export interface ByteSource {
  /** File name shown in messages, such as the archive's name. */
  readonly name: string;
  readonly size: number;
  /** Returns exactly `length` bytes at `offset`, fewer only past the end. */
  read(offset: number, length: number): Promise<Uint8Array>;
}

/** Default piece size for streaming reads: 1 MiB. */
export const READ_PIECE_SIZE_BYTES = 1 << 20;

/** Yields `length` bytes of `source` from `offset`, one piece at a time. */
export async function* readRange(
  source: ByteSource,
  offset: number,
  length: number,
  options: { pieceSize?: number; signal?: AbortSignal } = {},
): AsyncGenerator<Uint8Array> {
  const pieceSize = options.pieceSize ?? READ_PIECE_SIZE_BYTES;
  const end = offset + length;
  for (let at = offset; at < end; ) {
    if (options.signal?.aborted) throw abortError();
    const piece = await source.read(at, Math.min(pieceSize, end - at));
    if (piece.length === 0) return;
    at += piece.length;
    yield piece;
  }
}

/** Returns a ByteSource over bytes held in memory, for tests and small files. */
export function bytesSource(name: string, bytes: Uint8Array): ByteSource {
  return {
    name,
    size: bytes.length,
    async read(offset, length) {
      return bytes.subarray(offset, Math.min(bytes.length, offset + length));
    },
  };
}

/** Returns the concatenation of `parts`. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let size = 0;
  for (const part of parts) size += part.length;
  const out = new Uint8Array(size);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** Collects an async iterable of pieces into one array; for small inputs only. */
export async function collectBytes(
  pieces: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const piece of pieces) parts.push(piece);
  return concatBytes(parts);
}

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder();

/** Returns the UTF-8 bytes of a string. */
export function utf8(text: string): Uint8Array {
  return utf8Encoder.encode(text);
}

/** Decodes UTF-8, replacing invalid sequences. */
export function fromUTF8(bytes: Uint8Array): string {
  return utf8Decoder.decode(bytes);
}
