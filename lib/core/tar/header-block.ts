/**
 * One 512-byte tar header block: field layout, numeric fields (octal and
 * base-256), the checksum and the ustar/GNU/V7 format differences.
 *
 * The POSIX.1-1988 ustar layout, as byte offset and field[width]:
 *   0 name[100]  100 mode[8]  108 uid[8]  116 gid[8]  124 size[12]
 *   136 mtime[12]  148 chksum[8]  156 typeflag[1]  157 linkname[100]
 *   257 magic[6]  263 version[2]  265 uname[32]  297 gname[32]
 *   329 devmajor[8]  337 devminor[8]  345 prefix[155]  500 pad[12]
 * GNU tar ("ustar  \0" magic) keeps atime, ctime and sparse data at 345
 * instead of a prefix. star ("tar\0" at 508) has a 131-byte prefix.
 */
import { InvalidTarError } from '../errors';
import { untilNUL } from './text';

/** Size of a tar block in bytes. Headers and content padding align to it. */
export const BLOCK_SIZE = 512;

/** Header layout of a block, from its magic field. */
export type HeaderFormat = 'ustar' | 'gnu' | 'v7';

/** The fields of one header block, before PAX and GNU long names apply. */
export interface HeaderBlock {
  format: HeaderFormat;
  /** Name bytes with the ustar prefix joined on, as stored (not decoded). */
  name: Uint8Array;
  linkname: Uint8Array;
  typeflag: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  uname: Uint8Array;
  gname: Uint8Array;
  devmajor?: number;
  devminor?: number;
}

const USTAR_MAGIC = [0x75, 0x73, 0x74, 0x61, 0x72, 0x00]; // "ustar\0"
const GNU_MAGIC = [0x75, 0x73, 0x74, 0x61, 0x72, 0x20, 0x20, 0x00]; // "ustar  \0"
const STAR_TRAILER = [0x74, 0x61, 0x72, 0x00]; // "tar\0" at 508
const SPACE = 0x20;

/** Returns the number of padding bytes after `size` bytes of content. */
export function paddingAfter(size: number): number {
  const rest = size % BLOCK_SIZE;
  return rest === 0 ? 0 : BLOCK_SIZE - rest;
}

/** Returns true when all bytes of `block` are zero (an end-of-archive block). */
export function isZeroBlock(block: Uint8Array): boolean {
  for (let i = 0; i < block.length; i++) if (block[i] !== 0) return false;
  return true;
}

/**
 * Parses one 512-byte header block found at `offset` of the stream `name`.
 * Throws InvalidTarError for a bad checksum or a malformed numeric field.
 */
export function parseHeaderBlock(
  block: Uint8Array,
  offset: number,
  name: string,
): HeaderBlock {
  verifyChecksum(block, offset, name);
  const field = (start: number, length: number) =>
    block.subarray(start, start + length);
  const numeric = (label: string, start: number, length: number) =>
    parseNumericField(field(start, length), label, offset + start, name);

  const format = detectFormat(block);
  const typeflag = String.fromCharCode(block[156]);
  const header: HeaderBlock = {
    format,
    name: joinPrefix(block, format),
    linkname: untilNUL(field(157, 100)),
    typeflag,
    mode: numeric('mode', 100, 8),
    uid: numeric('uid', 108, 8),
    gid: numeric('gid', 116, 8),
    size: numeric('size', 124, 12),
    mtime: numeric('mtime', 136, 12),
    uname: format === 'v7' ? new Uint8Array(0) : untilNUL(field(265, 32)),
    gname: format === 'v7' ? new Uint8Array(0) : untilNUL(field(297, 32)),
  };
  // Device numbers are read only for devices, because other writers leave
  // garbage in them (Go's archive/tar does the same).
  if (format !== 'v7' && (typeflag === '3' || typeflag === '4')) {
    header.devmajor = numeric('devmajor', 329, 8);
    header.devminor = numeric('devminor', 337, 8);
  }
  rejectNegative(header, offset, name);
  return header;
}

function detectFormat(block: Uint8Array): HeaderFormat {
  if (matches(block, 257, GNU_MAGIC)) return 'gnu';
  if (matches(block, 257, USTAR_MAGIC)) return 'ustar';
  return 'v7';
}

function joinPrefix(block: Uint8Array, format: HeaderFormat): Uint8Array {
  const name = untilNUL(block.subarray(0, 100));
  if (format !== 'ustar') return name;
  const prefixLength = matches(block, 508, STAR_TRAILER) ? 131 : 155;
  const prefix = untilNUL(block.subarray(345, 345 + prefixLength));
  if (prefix.length === 0) return name;
  const joined = new Uint8Array(prefix.length + 1 + name.length);
  joined.set(prefix, 0);
  joined[prefix.length] = 0x2f; // '/'
  joined.set(name, prefix.length + 1);
  return joined;
}

function matches(block: Uint8Array, at: number, expected: number[]): boolean {
  return expected.every((byte, i) => block[at + i] === byte);
}

/**
 * Checks the header checksum: the sum of all 512 bytes with the checksum field
 * read as spaces. Some old writers summed signed bytes, so that sum is also
 * accepted, as GNU tar and Go's archive/tar do.
 */
function verifyChecksum(block: Uint8Array, offset: number, name: string): void {
  const stored = parseNumericField(
    block.subarray(148, 156),
    'checksum',
    offset + 148,
    name,
  );
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK_SIZE; i++) {
    const byte = i >= 148 && i < 156 ? SPACE : block[i];
    unsigned += byte;
    signed += byte < 0x80 ? byte : byte - 0x100;
  }
  if (stored !== unsigned && stored !== signed) {
    throw new InvalidTarError(
      `reading ${name}: invalid header checksum at offset ${offset} ` +
        `(stored ${stored}, computed ${unsigned})`,
      offset,
    );
  }
}

function rejectNegative(header: HeaderBlock, offset: number, name: string) {
  for (const label of ['size', 'uid', 'gid', 'mode'] as const) {
    if (header[label] < 0) {
      throw new InvalidTarError(
        `reading ${name}: negative ${label} ${header[label]} in the header at offset ${offset}`,
        offset,
      );
    }
  }
}

/**
 * Parses a numeric field: octal digits padded with spaces or NULs, or GNU
 * base-256 when the first byte has its high bit set (two's complement, so
 * negative values are possible). Values past 2^53 - 1 are rejected.
 */
export function parseNumericField(
  field: Uint8Array,
  label: string,
  offset: number,
  name: string,
): number {
  const value =
    field.length > 0 && (field[0] & 0x80) !== 0
      ? parseBase256(field)
      : parseOctal(field);
  if (value === undefined) {
    throw new InvalidTarError(
      `reading ${name}: invalid ${label} field ${describeField(field)} at offset ${offset}`,
      offset,
    );
  }
  if (!Number.isSafeInteger(value)) {
    throw new InvalidTarError(
      `reading ${name}: ${label} field at offset ${offset} overflows 2^53 - 1`,
      offset,
    );
  }
  return value;
}

function parseOctal(field: Uint8Array): number | undefined {
  let start = 0;
  let end = field.length;
  const isPad = (byte: number) => byte === 0 || byte === SPACE;
  while (start < end && isPad(field[start])) start++;
  while (end > start && isPad(field[end - 1])) end--;
  let value = 0;
  for (let i = start; i < end; i++) {
    const digit = field[i] - 0x30;
    if (digit < 0 || digit > 7) return undefined;
    value = value * 8 + digit;
  }
  return value;
}

/** Returns the value, or Infinity when it does not fit in a safe integer. */
function parseBase256(field: Uint8Array): number {
  const negative = (field[0] & 0x40) !== 0;
  const invert = negative ? 0xff : 0;
  let value = 0;
  for (let i = 0; i < field.length; i++) {
    let byte = field[i] ^ invert;
    if (i === 0) byte &= 0x7f;
    if (value > Number.MAX_SAFE_INTEGER / 256) return Infinity;
    value = value * 256 + byte;
  }
  // In two's complement, the inverted bits of a negative number are -value - 1.
  return negative ? -value - 1 : value;
}

function describeField(field: Uint8Array): string {
  return JSON.stringify(String.fromCharCode(...field));
}
