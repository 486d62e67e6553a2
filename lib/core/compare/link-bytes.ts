/**
 * Byte helpers of the share-link encoding: LEB128 varints, base64url without
 * padding (RFC 4648 §5) and CRC-32 (the IEEE polynomial of gzip and PNG).
 */

/** Appends unsigned LEB128 varints and length-prefixed strings to a growing buffer. */
export class ByteWriter {
  private buffer = new Uint8Array(256);
  private length = 0;

  /** Appends a whole number from 0 to 2^53 - 1, seven bits per byte, low bits first. */
  varint(value: number): void {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new RangeError(`varint: expected a whole number >= 0, got ${value}`);
    }
    let rest = value;
    while (rest >= 0x80) {
      this.byte((rest % 0x80) | 0x80);
      rest = Math.floor(rest / 0x80);
    }
    this.byte(rest);
  }

  /** Appends the varint byte length of the UTF-8 text, then the text. */
  text(value: string): void {
    const bytes = new TextEncoder().encode(value);
    this.varint(bytes.length);
    this.bytes(bytes);
  }

  bytes(bytes: Uint8Array): void {
    this.reserve(bytes.length);
    this.buffer.set(bytes, this.length);
    this.length += bytes.length;
  }

  byte(value: number): void {
    this.reserve(1);
    this.buffer[this.length++] = value;
  }

  /** Returns a copy of the bytes written so far. */
  finish(): Uint8Array {
    return this.buffer.slice(0, this.length);
  }

  private reserve(extra: number): void {
    if (this.length + extra <= this.buffer.length) return;
    let size = this.buffer.length * 2;
    while (size < this.length + extra) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.buffer.subarray(0, this.length));
    this.buffer = grown;
  }
}

/** Raised by ByteReader when the bytes end early or hold an invalid value. */
export class ByteFormatError extends Error {
  override name = 'ByteFormatError';
  readonly truncated: boolean;
  constructor(message: string, truncated: boolean) {
    super(message);
    this.truncated = truncated;
  }
}

/** Reads what ByteWriter writes; throws ByteFormatError. */
export class ByteReader {
  private readonly bytes: Uint8Array;
  offset = 0;

  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
  }

  get remaining(): number {
    return this.bytes.length - this.offset;
  }

  varint(): number {
    let value = 0;
    let scale = 1;
    for (;;) {
      const byte = this.byte();
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) break;
      scale *= 0x80;
      if (scale > 2 ** 49) {
        throw new ByteFormatError(`varint at offset ${this.offset} is too long`, false);
      }
    }
    if (!Number.isSafeInteger(value)) {
      throw new ByteFormatError(`varint ending at offset ${this.offset} exceeds 2^53`, false);
    }
    return value;
  }

  text(): string {
    const length = this.varint();
    const bytes = this.take(length);
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      throw new ByteFormatError(`invalid UTF-8 text before offset ${this.offset}`, false);
    }
  }

  take(length: number): Uint8Array {
    if (length > this.remaining) {
      throw new ByteFormatError(
        `expected ${length} bytes at offset ${this.offset}, only ${this.remaining} left`,
        true,
      );
    }
    const out = this.bytes.subarray(this.offset, this.offset + length);
    this.offset += length;
    return out;
  }

  byte(): number {
    if (this.remaining < 1) {
      throw new ByteFormatError(`unexpected end at offset ${this.offset}`, true);
    }
    return this.bytes[this.offset++];
  }
}

const BASE64URL =
  'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const BASE64URL_VALUES = new Map([...BASE64URL].map((char, i) => [char, i]));

/** Returns the base64url text of `bytes`, without padding. */
export function toBase64URL(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const group = (bytes[i] << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    const chars = Math.min(4, Math.ceil(((bytes.length - i) * 8) / 6));
    for (let k = 0; k < chars; k++) {
      out += BASE64URL[(group >>> (18 - 6 * k)) & 0x3f];
    }
  }
  return out;
}

/**
 * Returns the bytes of base64url text, padding optional. A lone final
 * character carries no whole byte and is dropped, because a truncated link
 * can end that way. Throws ByteFormatError on a character outside the alphabet.
 */
export function fromBase64URL(text: string): Uint8Array {
  const trimmed = text.replace(/=+$/, '');
  const out = new Uint8Array(Math.floor((trimmed.length * 6) / 8));
  let bits = 0;
  let bitCount = 0;
  let at = 0;
  for (let i = 0; i < trimmed.length; i++) {
    const value = BASE64URL_VALUES.get(trimmed[i]);
    if (value === undefined) {
      throw new ByteFormatError(
        `invalid base64url character ${JSON.stringify(trimmed[i])} at position ${i}`,
        false,
      );
    }
    bits = ((bits << 6) | value) & 0xffffff;
    bitCount += 6;
    if (bitCount >= 8) {
      bitCount -= 8;
      out[at++] = (bits >>> bitCount) & 0xff;
    }
  }
  return out;
}

const CRC_TABLE = Uint32Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

/** Returns the CRC-32 of `bytes` as an unsigned 32-bit number. */
export function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) crc = CRC_TABLE[(crc ^ byte) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
