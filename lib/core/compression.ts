/**
 * Layer compression: which one a media type names, what the first bytes of a
 * blob show, and streaming decompression (gzip through fflate, zstd through
 * fzstd). The only importer of fzstd and of fflate's inflater.
 *
 * Limits: the gzip CRC-32 of each member is not checked, because fflate
 * skips it and a second pass over the output in JavaScript would slow
 * inflating down. fzstd skips the optional zstd content checksum. The caller's diffID check
 * covers both. Each gzip member's length trailer is checked, so a cut stream
 * fails here. fzstd rejects zstd frames that need a dictionary, and it
 * allocates each frame's whole window, so zstd memory use follows the window
 * size the compressor chose (fzstd rejects windows above about 2 GiB).
 */
import { Gunzip } from 'fflate';
import { Decompress as ZstdDecompress } from 'fzstd';
import { InvalidInputError, UnsupportedError, abortError, isAbortError } from './errors';
import { isZeroBlock } from './tar/header-block';
import {
  DOCKER_FOREIGN_LAYER,
  DOCKER_LAYER,
  DOCKER_LAYER_GZIP,
  DOCKER_LAYER_ZSTD,
  OCI_LAYER,
  OCI_LAYER_GZIP,
  OCI_LAYER_NONDISTRIBUTABLE,
  OCI_LAYER_ZSTD,
} from './oci';

export type Compression = 'gzip' | 'zstd' | 'none';

const LAYER_COMPRESSION: Record<string, Compression> = {
  [OCI_LAYER]: 'none',
  [OCI_LAYER_GZIP]: 'gzip',
  [OCI_LAYER_ZSTD]: 'zstd',
  [DOCKER_LAYER]: 'none',
  [DOCKER_LAYER_GZIP]: 'gzip',
  [DOCKER_LAYER_ZSTD]: 'zstd',
};

/**
 * Returns the compression a layer media type names. Throws UnsupportedError
 * for foreign, non-distributable, encrypted and unknown layer media types.
 */
export function layerCompression(mediaType: string, where: string): Compression {
  const compression = LAYER_COMPRESSION[mediaType];
  if (compression) return compression;
  if (mediaType === DOCKER_FOREIGN_LAYER || mediaType.startsWith(OCI_LAYER_NONDISTRIBUTABLE)) {
    throw new UnsupportedError(
      `${where}: foreign (non-distributable) layers are not supported: ${mediaType}`,
    );
  }
  throw new UnsupportedError(`${where}: layer media type ${mediaType} is not supported`);
}

/** Format of a blob as its first bytes show it. */
export type SniffedFormat = Compression | 'unknown';

const GZIP_MAGIC = [0x1f, 0x8b];
const ZSTD_MAGIC = [0x28, 0xb5, 0x2f, 0xfd];
const TAR_MAGIC_OFFSET = 257;

/** Bytes `sniffCompression` needs to tell a tar from other data. */
export const SNIFF_BYTES = 512;

/**
 * Returns the format of a blob from its first bytes, at least SNIFF_BYTES of
 * them when the blob is that long. gzip and zstd show by their magic numbers.
 * A tar shows by "ustar" at offset 257, a zero block (an empty tar), no bytes
 * at all, or a header block whose checksum adds up (old V7 tars).
 */
export function sniffCompression(head: Uint8Array): SniffedFormat {
  if (startsWith(head, GZIP_MAGIC)) return 'gzip';
  if (startsWith(head, ZSTD_MAGIC)) return 'zstd';
  if (head.length === 0) return 'none';
  if (head.length < SNIFF_BYTES) return 'unknown';
  const block = head.subarray(0, SNIFF_BYTES);
  const ustar = [0x75, 0x73, 0x74, 0x61, 0x72]; // "ustar"
  if (ustar.every((byte, i) => block[TAR_MAGIC_OFFSET + i] === byte)) return 'none';
  if (isZeroBlock(block) || hasValidChecksum(block)) return 'none';
  return 'unknown';
}

function startsWith(bytes: Uint8Array, magic: number[]): boolean {
  return bytes.length >= magic.length && magic.every((byte, i) => bytes[i] === byte);
}

function hasValidChecksum(block: Uint8Array): boolean {
  const field = String.fromCharCode(...block.subarray(148, 156)).replace(/[\0 ]+$/, '').trim();
  if (!/^[0-7]+$/.test(field)) return false;
  let sum = 0;
  for (let i = 0; i < block.length; i++) sum += i >= 148 && i < 156 ? 0x20 : block[i];
  return parseInt(field, 8) === sum;
}

/**
 * Checks that the first bytes of a blob match the compression its media type
 * names; throws InvalidInputError naming both when they do not.
 */
export function checkCompression(expected: Compression, head: Uint8Array, where: string): void {
  const found = sniffCompression(head);
  if (found === expected) return;
  throw new InvalidInputError(
    `${where}: the media type names ${describeFormat(expected)}, ` +
      `but the content is ${describeFormat(found)}`,
  );
}

function describeFormat(format: SniffedFormat): string {
  if (format === 'none') return 'an uncompressed tar';
  if (format === 'unknown') return 'neither gzip, zstd nor tar';
  return format;
}

/** Options of `decompress`. */
export interface DecompressOptions {
  /** Names the layer in error messages. */
  name?: string;
  signal?: AbortSignal;
  /**
   * Gzip inflater to use instead of fflate, such as one over the platform's
   * DecompressionStream. NOTE: Chromium's DecompressionStream('gzip') stops
   * with an error after the first member, so it cannot read multi-member
   * streams (pigz output, eStargz layers); keep fflate for those.
   */
  inflate?: (pieces: AsyncIterable<Uint8Array>) => AsyncIterable<Uint8Array>;
}

/**
 * Input bytes pushed into a decoder at once. Deflate expands up to about
 * 1032 times, so this bounds one output burst to about 16 MiB.
 */
const DECODER_INPUT_BYTES = 16 << 10;

/**
 * Streams the uncompressed bytes of `pieces`. Corrupt or truncated input
 * raises InvalidInputError naming the layer and the compressed offset the
 * decoder had reached. Errors of the input stream pass through unchanged.
 */
export async function* decompress(
  pieces: AsyncIterable<Uint8Array>,
  compression: Compression,
  options: DecompressOptions = {},
): AsyncGenerator<Uint8Array> {
  const name = options.name ?? 'layer';
  if (compression === 'none') {
    yield* passThrough(pieces, options.signal);
  } else if (compression === 'gzip' && options.inflate) {
    yield* customInflate(pieces, options.inflate, name, options.signal);
  } else if (compression === 'gzip') {
    yield* pushDecode(pieces, createGunzip, 'gzip', name, options.signal);
  } else {
    yield* pushDecode(pieces, (ondata) => new ZstdDecompress(ondata), 'zstd', name, options.signal);
  }
}

async function* passThrough(pieces: AsyncIterable<Uint8Array>, signal?: AbortSignal) {
  for await (const piece of pieces) {
    if (signal?.aborted) throw abortError();
    yield piece;
  }
}

interface PushDecoder {
  push(chunk: Uint8Array, final?: boolean): void;
}

/** Runs a push-style decoder of fflate or fzstd over the pieces. */
async function* pushDecode(
  pieces: AsyncIterable<Uint8Array>,
  create: (ondata: (chunk: Uint8Array) => void) => PushDecoder,
  format: 'gzip' | 'zstd',
  name: string,
  signal?: AbortSignal,
): AsyncGenerator<Uint8Array> {
  const output: Uint8Array[] = [];
  // Both libraries hand out a new array per call, so chunks stay valid.
  const decoder = create((chunk) => {
    if (chunk.length > 0) output.push(chunk);
  });
  let offset = 0;
  const push = (chunk: Uint8Array, final: boolean) => {
    try {
      decoder.push(chunk, final);
    } catch (error) {
      throw decodeError(error, format, name, offset + chunk.length);
    }
    offset += chunk.length;
  };
  for await (const piece of pieces) {
    for (let at = 0; at < piece.length; at += DECODER_INPUT_BYTES) {
      if (signal?.aborted) throw abortError();
      push(piece.subarray(at, at + DECODER_INPUT_BYTES), false);
      yield* output.splice(0);
    }
  }
  if (signal?.aborted) throw abortError();
  push(new Uint8Array(0), true);
  yield* output.splice(0);
}

/** Compressed bytes kept for reading gzip trailers: 128 KiB. */
const TAIL_BYTES = 128 << 10;

/** The most recent compressed input, by absolute offset. */
class InputTail {
  private chunks: { start: number; bytes: Uint8Array }[] = [];
  private kept = 0;

  append(start: number, bytes: Uint8Array): void {
    this.chunks.push({ start, bytes });
    this.kept += bytes.length;
    while (this.chunks.length > 1 && this.kept - this.chunks[0].bytes.length >= TAIL_BYTES) {
      this.kept -= this.chunks.shift()!.bytes.length;
    }
  }

  /** Returns the bytes in [start, end), or undefined when they are no longer kept. */
  read(start: number, end: number): Uint8Array | undefined {
    if (start < 0 || this.chunks.length === 0 || start < this.chunks[0].start) return undefined;
    const out = new Uint8Array(end - start);
    for (const { start: at, bytes } of this.chunks) {
      const from = Math.max(start, at);
      const to = Math.min(end, at + bytes.length);
      if (from < to) out.set(bytes.subarray(from - at, to - at), from - start);
    }
    return out;
  }
}

/** Smallest gzip member: 10-byte header, 2-byte empty deflate block, 8-byte trailer. */
const MIN_GZIP_MEMBER_BYTES = 20;

/**
 * Returns fflate's Gunzip plus the check fflate leaves out: every member ends
 * with ISIZE, its uncompressed length modulo 2^32 (RFC 1952 §2.3.1). A stream
 * cut inside a member fails that check; fflate alone would end it silently.
 */
function createGunzip(ondata: (chunk: Uint8Array) => void): PushDecoder {
  const tail = new InputTail();
  let received = 0;
  let memberStart = 0;
  let memberLength = 0;
  const checkTrailer = (end: number) => {
    const trailer = tail.read(end - 8, end);
    if (!trailer) return;
    const isize = (trailer[4] | (trailer[5] << 8) | (trailer[6] << 16) | (trailer[7] << 24)) >>> 0;
    if (isize === memberLength % 2 ** 32) return;
    throw new Error(
      `the member at offset ${memberStart} inflated to ${memberLength} bytes, but its ` +
        `trailer gives ${isize} (truncated or corrupt stream)`,
    );
  };
  const gunzip = new Gunzip((chunk) => {
    memberLength += chunk.length;
    ondata(chunk);
  });
  gunzip.onmember = (offset) => {
    checkTrailer(offset);
    memberStart = offset;
    memberLength = 0;
  };
  return {
    push(chunk, final) {
      tail.append(received, chunk);
      received += chunk.length;
      gunzip.push(chunk, final);
      if (!final) return;
      if (received - memberStart < MIN_GZIP_MEMBER_BYTES) {
        throw new Error(`the member at offset ${memberStart} is cut short`);
      }
      checkTrailer(received);
    },
  };
}

/** Wraps a decoder failure; the decoder had been given the bytes before `end`. */
function decodeError(error: unknown, format: 'gzip' | 'zstd', name: string, end: number): Error {
  const reason = error instanceof Error ? error.message : String(error);
  return new InvalidInputError(
    `inflating ${name}: invalid ${format} data at or before compressed offset ${end}: ${reason}`,
    { cause: error },
  );
}

/**
 * Runs a caller's inflater, telling its own failures (corrupt data) apart
 * from failures of the input stream, which pass through as they are.
 */
async function* customInflate(
  pieces: AsyncIterable<Uint8Array>,
  inflate: (pieces: AsyncIterable<Uint8Array>) => AsyncIterable<Uint8Array>,
  name: string,
  signal?: AbortSignal,
): AsyncGenerator<Uint8Array> {
  let inputError: { error: unknown } | undefined;
  let offset = 0;
  async function* watched() {
    try {
      for await (const piece of pieces) {
        offset += piece.length;
        yield piece;
      }
    } catch (error) {
      inputError = { error };
      throw error;
    }
  }
  try {
    for await (const chunk of inflate(watched())) {
      if (signal?.aborted) throw abortError();
      yield chunk;
    }
  } catch (error) {
    if (inputError) throw inputError.error;
    if (isAbortError(error)) throw error;
    throw new InvalidInputError(
      `inflating ${name}: invalid gzip data after ${offset} compressed bytes: ${(error as Error)?.message ?? error}`,
      { cause: error },
    );
  }
}
