/**
 * Turns a header block plus the extended headers before it (PAX records, GNU
 * long names) into a TarEntry. Shared by the streaming parser and the
 * random-access reader of image archives.
 */
import { InvalidTarError, UnsupportedError } from '../errors';
import { fromUTF8 } from '../bytes';
import type { TarEntry, TarEntryType } from './entry';
import type { HeaderBlock } from './header-block';
import { parsePaxInteger, parsePaxTime } from './pax';
import type { PaxRecords } from './pax';
import { decodeText, encodeBase64, untilNUL } from './text';

/** Handling of a typeflag by the readers. */
export type TypeflagRole =
  | { role: 'entry'; type: TarEntryType }
  /** PAX 'x': records for the next entry. */
  | { role: 'pax-local' }
  /** PAX 'g': records for every later entry. */
  | { role: 'pax-global' }
  /** GNU 'L' and 'K': the next entry's name or link target. */
  | { role: 'long-name' }
  | { role: 'long-link' }
  /** GNU 'V' (volume label): carries no file, so its blocks are skipped. */
  | { role: 'skip' }
  | { role: 'unsupported'; what: string };

const ENTRY_TYPES: Record<string, TarEntryType> = {
  '0': 'file',
  '\0': 'file',
  '7': 'file', // contiguous file, read as a regular file as GNU tar does
  '1': 'hardlink',
  '2': 'symlink',
  '3': 'char',
  '4': 'block',
  '5': 'dir',
  '6': 'fifo',
};

/** Returns how the reader handles a typeflag. */
export function typeflagRole(typeflag: string): TypeflagRole {
  const type = ENTRY_TYPES[typeflag];
  if (type) return { role: 'entry', type };
  switch (typeflag) {
    case 'x':
      return { role: 'pax-local' };
    case 'g':
      return { role: 'pax-global' };
    case 'L':
      return { role: 'long-name' };
    case 'K':
      return { role: 'long-link' };
    case 'V':
      return { role: 'skip' };
    case 'S':
      return { role: 'unsupported', what: 'GNU sparse file (typeflag S)' };
    default:
      return { role: 'unsupported', what: `tar typeflag ${describeTypeflag(typeflag)}` };
  }
}

function describeTypeflag(typeflag: string): string {
  const code = typeflag.charCodeAt(0);
  if (code >= 0x21 && code < 0x7f) return JSON.stringify(typeflag);
  return `0x${code.toString(16).padStart(2, '0')}`;
}

/** GNU long names and link targets read from 'L' and 'K' entries. */
export interface GNULongNames {
  name?: Uint8Array;
  link?: Uint8Array;
}

/** Stream offsets of an entry: its first header block and its content. */
export interface EntryOffsets {
  headerOffset: number;
  dataOffset: number;
}

/**
 * Builds the entry for `header`. `records` are the PAX records in effect
 * (global and local merged). GNU long names override PAX `path` and
 * `linkpath`, as in Go's archive/tar. Throws UnsupportedError for GNU sparse
 * files and InvalidTarError for malformed PAX values.
 */
export function resolveEntry(
  header: HeaderBlock,
  type: TarEntryType,
  records: PaxRecords,
  longNames: GNULongNames,
  offsets: EntryOffsets,
  name: string,
): TarEntry {
  const text = new Map<string, string>();
  for (const [key, value] of records) text.set(key, decodeText(value).text);
  const pathBytes = longNames.name ?? records.get('path') ?? header.name;
  const path = decodeText(untilNUL(pathBytes));
  const at = offsets.headerOffset;
  if ([...records.keys()].some((key) => key.startsWith('GNU.sparse.'))) {
    throw new UnsupportedError(
      `reading ${name}: GNU sparse file ${path.text} (PAX GNU.sparse records) ` +
        `at offset ${at} is not supported`,
    );
  }
  if (header.typeflag === '\0' && path.text.endsWith('/')) type = 'dir';

  const number = (key: string, parse: (value: string) => number | undefined, fallback: number) => {
    const value = text.get(key);
    if (value === undefined) return fallback;
    const parsed = parse(value);
    if (parsed === undefined) {
      throw new InvalidTarError(
        `reading ${name}: invalid pax ${key} ${JSON.stringify(value)} for ${path.text} at offset ${at}`,
        at,
      );
    }
    return parsed;
  };

  const entry: TarEntry = {
    path: path.text,
    type,
    typeflag: header.typeflag,
    mode: header.mode & 0o7777,
    uid: number('uid', parsePaxInteger, header.uid),
    gid: number('gid', parsePaxInteger, header.gid),
    uname: text.get('uname') ?? fromUTF8(header.uname),
    gname: text.get('gname') ?? fromUTF8(header.gname),
    mtime: number('mtime', parsePaxTime, header.mtime),
    size: number('size', parsePaxInteger, header.size),
    headerOffset: offsets.headerOffset,
    dataOffset: offsets.dataOffset,
  };
  if (path.raw !== undefined) entry.rawPath = path.raw;
  if (!hasContent(type)) entry.size = 0;
  addLinkname(entry, header, records, longNames);
  addDevice(entry, header);
  addXattrs(entry, records);
  if (records.size > 0) entry.pax = Object.fromEntries(text);
  addWhiteout(entry);
  return entry;
}

/**
 * Returns true when entries of `type` carry content blocks. Links, devices,
 * directories and fifos never do, whatever their size field contains. Go's
 * archive/tar and Python's tarfile read them the same way.
 */
export function hasContent(type: TarEntryType): boolean {
  return type === 'file';
}

function addLinkname(
  entry: TarEntry,
  header: HeaderBlock,
  records: PaxRecords,
  longNames: GNULongNames,
) {
  if (entry.type !== 'hardlink' && entry.type !== 'symlink') return;
  const bytes = longNames.link ?? records.get('linkpath') ?? header.linkname;
  const link = decodeText(untilNUL(bytes));
  entry.linkname = link.text;
  if (link.raw !== undefined) entry.rawLinkname = link.raw;
}

function addDevice(entry: TarEntry, header: HeaderBlock) {
  if (entry.type !== 'char' && entry.type !== 'block') return;
  entry.devmajor = header.devmajor ?? 0;
  entry.devminor = header.devminor ?? 0;
}

const XATTR_PREFIX = 'SCHILY.xattr.';

function addXattrs(entry: TarEntry, records: PaxRecords) {
  const xattrs: Record<string, string> = {};
  let found = false;
  for (const [key, value] of records) {
    if (!key.startsWith(XATTR_PREFIX)) continue;
    xattrs[key.slice(XATTR_PREFIX.length)] = encodeBase64(value);
    found = true;
  }
  if (found) entry.xattrs = xattrs;
}

const WHITEOUT_PREFIX = '.wh.';
const OPAQUE_WHITEOUT = '.wh..wh..opq';

function addWhiteout(entry: TarEntry) {
  const trimmed = entry.path.replace(/\/+$/, '');
  const base = trimmed.slice(trimmed.lastIndexOf('/') + 1);
  if (base === OPAQUE_WHITEOUT) entry.whiteout = 'opaque';
  else if (base.startsWith(WHITEOUT_PREFIX)) entry.whiteout = 'file';
}
