/**
 * gzip members (RFC 1952) written with fflate's raw DEFLATE stream. The
 * header has no name, mtime 0 and OS 255 ("unknown"), as Go's compress/gzip
 * writes it, so the bytes depend only on the content and the level.
 */
import { Deflate } from 'fflate';

/** A deflate level, as zlib numbers them. */
export type CompressionLevel = 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9;

/**
 * Size of the pieces handed to fflate. fflate's streaming output depends on
 * where pushes end, so content is regrouped into pieces of this size first;
 * that makes a member's bytes independent of how its input was sliced.
 */
const DEFLATE_PIECE_SIZE_BYTES = 64 * 1024;

const CRC_TABLE = makeCRCTable();

function makeCRCTable(): Uint32Array {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
}

/** Returns the CRC-32 (ISO 3309, as gzip uses it) of `bytes` continued from `crc`. */
export function crc32(bytes: Uint8Array, crc = 0): number {
  let c = ~crc;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

/**
 * Returns the 10-byte member header: ID1 ID2, CM=8 (deflate), FLG=0,
 * MTIME=0, XFL (2 for level 9, 4 for level 1, else 0), OS=255.
 */
export function gzipHeader(level: CompressionLevel): Uint8Array {
  const extraFlags = level === 9 ? 2 : level === 1 ? 4 : 0;
  return Uint8Array.of(0x1f, 0x8b, 8, 0, 0, 0, 0, 0, extraFlags, 0xff);
}

/**
 * One gzip member in progress. `write` takes uncompressed bytes, `close`
 * ends the member; compressed bytes go to `sink` as fflate produces them.
 */
export class GzipMemberWriter {
  private readonly deflate: Deflate;
  private readonly pending = new Uint8Array(DEFLATE_PIECE_SIZE_BYTES);
  private pendingSize = 0;
  private crc = 0;
  private size = 0;
  private closed = false;

  constructor(
    level: CompressionLevel,
    private readonly sink: (bytes: Uint8Array) => void,
  ) {
    sink(gzipHeader(level));
    this.deflate = new Deflate({ level }, (data) => {
      if (data.length > 0) sink(data);
    });
  }

  /** Number of uncompressed bytes written so far. */
  get uncompressedSize(): number {
    return this.size;
  }

  write(bytes: Uint8Array): void {
    if (this.closed) throw new Error('internal error: write on a closed gzip member');
    this.crc = crc32(bytes, this.crc);
    this.size += bytes.length;
    let at = 0;
    while (at < bytes.length) {
      const take = Math.min(bytes.length - at, DEFLATE_PIECE_SIZE_BYTES - this.pendingSize);
      this.pending.set(bytes.subarray(at, at + take), this.pendingSize);
      this.pendingSize += take;
      at += take;
      if (this.pendingSize === DEFLATE_PIECE_SIZE_BYTES) {
        // fflate copies pushed bytes into its own window buffer.
        this.deflate.push(this.pending, false);
        this.pendingSize = 0;
      }
    }
  }

  /** Ends the DEFLATE stream and writes the trailer: CRC-32 and ISIZE, little-endian. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.deflate.push(this.pending.subarray(0, this.pendingSize), true);
    const trailer = new Uint8Array(8);
    const view = new DataView(trailer.buffer);
    view.setUint32(0, this.crc, true);
    view.setUint32(4, this.size % 2 ** 32, true);
    this.sink(trailer);
  }
}
