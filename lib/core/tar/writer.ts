/**
 * Streaming tar writer: ustar header blocks, with a PAX extended header in
 * front when a value does not fit ustar (POSIX.1-2001 pax "Extended Header").
 * The same metadata always gives the same bytes.
 *
 * Choices that fix the bytes:
 * - A path longer than 100 bytes is split into the ustar prefix and name
 *   fields at a `/` when it is ASCII. Other long paths go into PAX.
 * - Path, link target, uname and gname go into PAX when they are not ASCII.
 *   Bytes that are not UTF-8 (`rawPath`, `rawLinkname`) are written as they
 *   are, with `hdrcharset=BINARY`.
 * - Numbers too large for the octal fields go into PAX (`size`, `uid`, `gid`,
 *   `mtime`) with 0 in the field. Device numbers have no PAX key, so a large
 *   one is written in base-256 as GNU tar does.
 * - An mtime with a fraction, or a negative one, goes into PAX as decimal
 *   seconds; the ustar field then holds the whole seconds, or 0 when negative.
 * - PAX records are sorted by key. The extended header is named
 *   `././@PaxHeader` with mode, owner and mtime 0.
 */
import { InvalidInputError, SizeMismatchError, abortError } from '../errors';
import { utf8 } from '../bytes';
import type { TarEntry, TarEntryType } from './entry';
import { decodeBase64 } from './text';

/** Size of a tar block in bytes. */
export const TAR_BLOCK_SIZE_BYTES = 512;

/** Size of the end-of-archive marker: two zero blocks. */
export const TAR_END_SIZE_BYTES = 1024;

/** Metadata of one entry to write; a TarEntry has every field it needs. */
export type TarHeaderFields = Pick<
  TarEntry,
  'path' | 'type' | 'mode' | 'uid' | 'gid' | 'uname' | 'gname' | 'mtime' | 'size'
> &
  Partial<
    Pick<
      TarEntry,
      'rawPath' | 'linkname' | 'rawLinkname' | 'devmajor' | 'devminor' | 'xattrs' | 'pax'
    >
  >;

const TYPEFLAGS: Record<TarEntryType, string> = {
  file: '0',
  hardlink: '1',
  symlink: '2',
  char: '3',
  block: '4',
  dir: '5',
  fifo: '6',
};

/**
 * PAX keys that the writer derives from the header fields. Records with these
 * keys in `fields.pax` are not copied, because the fields are the source of
 * truth; all other records (atime, ctime, comment, SCHILY.acl.*) are.
 */
const DERIVED_PAX_KEYS = new Set([
  'path',
  'linkpath',
  'size',
  'uid',
  'gid',
  'uname',
  'gname',
  'mtime',
  'hdrcharset',
]);
const XATTR_PREFIX = 'SCHILY.xattr.';

/** Largest values of the octal fields: 7 digits for ids, 11 for size and mtime. */
const MAX_OCTAL_7 = 0o7777777;
const MAX_OCTAL_11 = 0o77777777777;

/**
 * Returns the header blocks of one entry: a PAX extended header when needed,
 * then the ustar block. Content and `tarPadding(size)` follow in the stream.
 * The typeflag comes from `type`, so a contiguous file ('7') is written as a
 * regular file ('0'), and entries other than files get size 0.
 * Throws InvalidInputError for a path with NUL bytes or negative numbers.
 */
export function tarHeader(fields: TarHeaderFields): Uint8Array {
  const pax = new Map<string, Uint8Array>();
  const block = new Uint8Array(TAR_BLOCK_SIZE_BYTES);
  const hasContent = fields.type === 'file';
  const size = hasContent ? fields.size : 0;
  checkNumbers(fields, size);

  const path = textBytes(fields.path, fields.rawPath, 'path');
  placePath(block, path, fields, pax);
  writeOctal(block, 100, 8, fields.mode & MAX_OCTAL_7);
  placeNumber(block, 108, 8, fields.uid, 'uid', pax);
  placeNumber(block, 116, 8, fields.gid, 'gid', pax);
  placeNumber(block, 124, 12, size, 'size', pax);
  placeMtime(block, fields, pax);
  block[156] = TYPEFLAGS[fields.type].charCodeAt(0);
  if (fields.type === 'hardlink' || fields.type === 'symlink') {
    const link = textBytes(fields.linkname ?? '', fields.rawLinkname, 'linkname');
    placeText(block, 157, 100, link, 'linkpath', fields, pax);
  }
  block.set(utf8('ustar\u000000'), 257);
  placeText(block, 265, 31, utf8(fields.uname), 'uname', fields, pax);
  placeText(block, 297, 31, utf8(fields.gname), 'gname', fields, pax);
  writeDevice(block, 329, fields.devmajor ?? 0);
  writeDevice(block, 337, fields.devminor ?? 0);
  addXattrs(fields, pax);
  copyOtherRecords(fields, pax);
  writeChecksum(block);

  if (pax.size === 0) return block;
  const records = encodePaxRecords(pax);
  const paxHeader = paxHeaderBlock(records.length);
  const out = new Uint8Array(
    TAR_BLOCK_SIZE_BYTES + records.length + paddingSize(records.length) + TAR_BLOCK_SIZE_BYTES,
  );
  out.set(paxHeader, 0);
  out.set(records, TAR_BLOCK_SIZE_BYTES);
  out.set(block, out.length - TAR_BLOCK_SIZE_BYTES);
  return out;
}

/** Returns the zero bytes that pad `size` bytes of content to a whole block. */
export function tarPadding(size: number): Uint8Array {
  return new Uint8Array(paddingSize(size));
}

/** Returns the end-of-archive marker, two zero blocks. */
export function tarEnd(): Uint8Array {
  return new Uint8Array(TAR_END_SIZE_BYTES);
}

/** One entry for `writeTar`: its metadata and, for a regular file, its content. */
export interface TarMember {
  header: TarHeaderFields;
  content?: Uint8Array | AsyncIterable<Uint8Array>;
}

/**
 * Yields a whole tar stream: each member's headers, content and padding, then
 * the end-of-archive marker. Throws SizeMismatchError when a member's content
 * is not `header.size` bytes long.
 */
export async function* writeTar(
  members: AsyncIterable<TarMember> | Iterable<TarMember>,
  options: { signal?: AbortSignal } = {},
): AsyncGenerator<Uint8Array> {
  for await (const member of members) {
    if (options.signal?.aborted) throw abortError();
    yield tarHeader(member.header);
    const size = member.header.type === 'file' ? member.header.size : 0;
    let written = 0;
    for await (const piece of contentPieces(member.content)) {
      if (options.signal?.aborted) throw abortError();
      written += piece.length;
      if (written > size) break;
      yield piece;
    }
    if (written !== size) {
      throw new SizeMismatchError(
        `writing tar: content of ${member.header.path}`,
        size,
        written,
      );
    }
    if (paddingSize(size) > 0) yield tarPadding(size);
  }
  yield tarEnd();
}

async function* contentPieces(
  content: TarMember['content'],
): AsyncGenerator<Uint8Array> {
  if (content === undefined) return;
  if (content instanceof Uint8Array) {
    yield content;
    return;
  }
  yield* content;
}

function paddingSize(size: number): number {
  const rest = size % TAR_BLOCK_SIZE_BYTES;
  return rest === 0 ? 0 : TAR_BLOCK_SIZE_BYTES - rest;
}

function checkNumbers(fields: TarHeaderFields, size: number) {
  const checks: [string, number][] = [
    ['size', size],
    ['uid', fields.uid],
    ['gid', fields.gid],
    ['devmajor', fields.devmajor ?? 0],
    ['devminor', fields.devminor ?? 0],
  ];
  for (const [name, value] of checks) {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new InvalidInputError(
        `writing tar header for ${fields.path}: invalid ${name} ${value}`,
      );
    }
  }
  if (!Number.isFinite(fields.mtime)) {
    throw new InvalidInputError(
      `writing tar header for ${fields.path}: invalid mtime ${fields.mtime}`,
    );
  }
}

/** Returns the bytes of a text field: the raw base64 bytes when present. */
function textBytes(text: string, raw: string | undefined, what: string): Uint8Array {
  const bytes = raw !== undefined ? decodeBase64(raw) : utf8(text);
  if (bytes.includes(0)) {
    throw new InvalidInputError(
      `writing tar header: ${what} ${JSON.stringify(text)} contains a NUL byte`,
    );
  }
  return bytes;
}

function isASCII(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i] >= 0x80) return false;
  return true;
}

/** Places the path in name (and prefix) when it fits ustar, else in PAX `path`. */
function placePath(
  block: Uint8Array,
  path: Uint8Array,
  fields: TarHeaderFields,
  pax: Map<string, Uint8Array>,
) {
  if (isASCII(path) && path.length <= 100) {
    block.set(path, 0);
    return;
  }
  const split = isASCII(path) ? splitPrefix(path) : undefined;
  if (split !== undefined) {
    block.set(path.subarray(split + 1), 0);
    block.set(path.subarray(0, split), 345);
    return;
  }
  setPaxText(pax, 'path', path, fields);
  block.set(asciiFallback(path, 100), 0);
}

/**
 * Returns the index of the `/` that splits `path` into a prefix of at most
 * 155 bytes and a name of 1 to 100 bytes, or undefined when none does.
 */
function splitPrefix(path: Uint8Array): number | undefined {
  const SLASH = 0x2f;
  // A trailing slash (directories) stays with the name part.
  const last = path[path.length - 1] === SLASH ? path.length - 2 : path.length - 1;
  for (let i = Math.min(155, last); i > 0; i--) {
    if (path[i] !== SLASH) continue;
    const nameLength = path.length - i - 1;
    if (nameLength > 100) return undefined;
    if (nameLength === 0) continue;
    return i;
  }
  return undefined;
}

/** Places a text field, or moves it to PAX when it is too long or not ASCII. */
function placeText(
  block: Uint8Array,
  at: number,
  length: number,
  bytes: Uint8Array,
  paxKey: string,
  fields: TarHeaderFields,
  pax: Map<string, Uint8Array>,
) {
  if (isASCII(bytes) && bytes.length <= length) {
    block.set(bytes, at);
    return;
  }
  setPaxText(pax, paxKey, bytes, fields);
  block.set(asciiFallback(bytes, length), at);
}

function setPaxText(
  pax: Map<string, Uint8Array>,
  key: string,
  bytes: Uint8Array,
  fields: TarHeaderFields,
) {
  pax.set(key, bytes);
  let raw: string | undefined;
  if (key === 'path') raw = fields.rawPath;
  if (key === 'linkpath') raw = fields.rawLinkname;
  if (raw !== undefined) pax.set('hdrcharset', utf8('BINARY'));
}

/** Returns the ASCII bytes of a value, cut to `length`, for readers without PAX. */
function asciiFallback(bytes: Uint8Array, length: number): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < bytes.length && out.length < length; i++) {
    if (bytes[i] < 0x80) out.push(bytes[i]);
  }
  return Uint8Array.from(out);
}

function placeNumber(
  block: Uint8Array,
  at: number,
  width: number,
  value: number,
  paxKey: string,
  pax: Map<string, Uint8Array>,
) {
  const max = width === 8 ? MAX_OCTAL_7 : MAX_OCTAL_11;
  if (value <= max) {
    writeOctal(block, at, width, value);
    return;
  }
  pax.set(paxKey, utf8(String(value)));
  writeOctal(block, at, width, 0);
}

function placeMtime(block: Uint8Array, fields: TarHeaderFields, pax: Map<string, Uint8Array>) {
  const mtime = fields.mtime;
  const whole = Math.floor(mtime);
  if (whole === mtime && mtime >= 0 && mtime <= MAX_OCTAL_11) {
    writeOctal(block, 136, 12, mtime);
    return;
  }
  // Keep the original decimal text when it parses to the same number, so
  // that digits beyond a double's precision survive a copy.
  const original = fields.pax?.mtime;
  const text = original !== undefined && Number(original) === mtime ? original : String(mtime);
  pax.set('mtime', utf8(text));
  writeOctal(block, 136, 12, whole >= 0 && whole <= MAX_OCTAL_11 ? whole : 0);
}

function writeDevice(block: Uint8Array, at: number, value: number) {
  if (value <= MAX_OCTAL_7) {
    writeOctal(block, at, 8, value);
    return;
  }
  // Base-256 (GNU): the first byte's high bit marks it, big-endian after that.
  block[at] = 0x80;
  let rest = value;
  for (let i = at + 7; i > at; i--) {
    block[i] = rest % 256;
    rest = Math.floor(rest / 256);
  }
}

/** Writes `value` as zero-padded octal in `width - 1` digits plus a NUL. */
function writeOctal(block: Uint8Array, at: number, width: number, value: number) {
  const digits = value.toString(8).padStart(width - 1, '0');
  for (let i = 0; i < width - 1; i++) block[at + i] = digits.charCodeAt(i);
  block[at + width - 1] = 0;
}

/** Fills chksum: the byte sum with the field as spaces, in 6 octal digits, NUL, space. */
function writeChecksum(block: Uint8Array) {
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (let i = 0; i < TAR_BLOCK_SIZE_BYTES; i++) sum += block[i];
  const digits = sum.toString(8).padStart(6, '0');
  for (let i = 0; i < 6; i++) block[148 + i] = digits.charCodeAt(i);
  block[154] = 0;
  block[155] = 0x20;
}

function addXattrs(fields: TarHeaderFields, pax: Map<string, Uint8Array>) {
  for (const [name, value] of Object.entries(fields.xattrs ?? {})) {
    pax.set(XATTR_PREFIX + name, decodeBase64(value));
  }
}

function copyOtherRecords(fields: TarHeaderFields, pax: Map<string, Uint8Array>) {
  for (const [key, value] of Object.entries(fields.pax ?? {})) {
    if (DERIVED_PAX_KEYS.has(key) || key.startsWith(XATTR_PREFIX)) continue;
    if (key.startsWith('GNU.sparse.')) {
      throw new InvalidInputError(
        `writing tar header for ${fields.path}: GNU sparse records cannot be copied`,
      );
    }
    pax.set(key, utf8(value));
  }
}

/** Encodes records as `"<length> <key>=<value>\n"`, sorted by key. */
function encodePaxRecords(pax: Map<string, Uint8Array>): Uint8Array {
  const keys = [...pax.keys()].sort();
  const parts: Uint8Array[] = [];
  for (const key of keys) parts.push(paxRecord(utf8(key), pax.get(key)!));
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

function paxRecord(key: Uint8Array, value: Uint8Array): Uint8Array {
  // The length counts its own digits, so grow it until it is stable.
  const body = key.length + value.length + 3; // space, '=', newline
  let length = body + String(body).length;
  if (String(length).length !== String(body).length) length = body + String(length).length;
  const prefix = utf8(`${length} `);
  const out = new Uint8Array(length);
  out.set(prefix, 0);
  out.set(key, prefix.length);
  out[prefix.length + key.length] = 0x3d;
  out.set(value, prefix.length + key.length + 1);
  out[length - 1] = 0x0a;
  return out;
}

function paxHeaderBlock(recordsSize: number): Uint8Array {
  const block = new Uint8Array(TAR_BLOCK_SIZE_BYTES);
  block.set(utf8('././@PaxHeader'), 0);
  writeOctal(block, 100, 8, 0);
  writeOctal(block, 108, 8, 0);
  writeOctal(block, 116, 8, 0);
  writeOctal(block, 124, 12, recordsSize);
  writeOctal(block, 136, 12, 0);
  block[156] = 'x'.charCodeAt(0);
  block.set(utf8('ustar\u000000'), 257);
  writeOctal(block, 329, 8, 0);
  writeOctal(block, 337, 8, 0);
  writeChecksum(block);
  return block;
}
