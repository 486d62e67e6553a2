/**
 * TOC JSON: building entries from tar metadata, encoding and parsing. The
 * encoding matches Go's `json.MarshalIndent(toc, "", "\t")` as the estargz
 * package writes it: struct field order, tab indents, sorted xattr keys and
 * `<`, `>`, `&`, U+2028, U+2029 escaped as `\u` sequences.
 */
import { InvalidInputError } from '../errors';
import { fromUTF8, utf8 } from '../bytes';
import type { TarEntry, TarEntryType } from '../tar/entry';
import { decodeBase64 } from '../tar/text';
import type { TOC, TOCEntry, TOCEntryType } from './types';

const TOC_TYPES: Record<TarEntryType, TOCEntryType> = {
  file: 'reg',
  hardlink: 'hardlink',
  symlink: 'symlink',
  char: 'char',
  block: 'block',
  dir: 'dir',
  fifo: 'fifo',
};

/** The order of TOCEntry fields in the JSON, as the Go struct declares them. */
const FIELD_ORDER: (keyof TOCEntry)[] = [
  'name',
  'type',
  'size',
  'modtime',
  'linkName',
  'mode',
  'uid',
  'gid',
  'userName',
  'groupName',
  'offset',
  'devMajor',
  'devMinor',
  'xattrs',
  'digest',
  'chunkOffset',
  'chunkSize',
  'chunkDigest',
];

/**
 * Owner and group names already written, by id. The estargz writer records a
 * name only on the first entry that has a new name for its id.
 */
export class OwnerNames {
  private readonly users = new Map<number, string>();
  private readonly groups = new Map<number, string>();

  /** Returns the user name to record for `uid`, or undefined when unchanged. */
  user(uid: number, name: string): string | undefined {
    return changed(this.users, uid, name);
  }

  /** Returns the group name to record for `gid`, or undefined when unchanged. */
  group(gid: number, name: string): string | undefined {
    return changed(this.groups, gid, name);
  }
}

function changed(names: Map<number, string>, id: number, name: string): string | undefined {
  if (name === '' || names.get(id) === name) return undefined;
  names.set(id, name);
  return name;
}

/** Returns the TOC entry for a tar entry, before any offset or digest is known. */
export function tocEntryFor(entry: TarEntry, owners: OwnerNames): TOCEntry {
  const out: TOCEntry = { name: jsonText(entry.path, entry.rawPath), type: TOC_TYPES[entry.type] };
  if (entry.type === 'file' && entry.size > 0) out.size = entry.size;
  const modtime = formatModtime(entry.mtime);
  if (modtime !== undefined) out.modtime = modtime;
  if (entry.type === 'hardlink' || entry.type === 'symlink') {
    const link = jsonText(entry.linkname ?? '', entry.rawLinkname);
    if (link !== '') out.linkName = link;
  }
  if (entry.mode !== 0) out.mode = entry.mode;
  if (entry.uid !== 0) out.uid = entry.uid;
  if (entry.gid !== 0) out.gid = entry.gid;
  const userName = owners.user(entry.uid, entry.uname);
  if (userName !== undefined) out.userName = userName;
  const groupName = owners.group(entry.gid, entry.gname);
  if (groupName !== undefined) out.groupName = groupName;
  if (entry.type === 'char' || entry.type === 'block') {
    if (entry.devmajor) out.devMajor = entry.devmajor;
    if (entry.devminor) out.devMinor = entry.devminor;
  }
  if (entry.xattrs && Object.keys(entry.xattrs).length > 0) out.xattrs = { ...entry.xattrs };
  return out;
}

/**
 * Returns the text Go's JSON encoder gives for a tar text field: raw bytes
 * that are not UTF-8 become U+FFFD, as `encoding/json` replaces them.
 */
function jsonText(text: string, raw: string | undefined): string {
  return raw === undefined ? text : fromUTF8(decodeBase64(raw));
}

/**
 * Returns the RFC 3339 UTC time for an mtime in seconds, rounded half up to
 * the second as Go's `Time.Round(time.Second)`, or undefined when the whole
 * seconds are 0, which the estargz writer leaves out.
 */
export function formatModtime(mtime: number): string | undefined {
  if (Math.floor(mtime) === 0) return undefined;
  const seconds = Math.floor(mtime + 0.5);
  const date = new Date(seconds * 1000);
  if (Number.isNaN(date.getTime())) return undefined;
  const year = date.getUTCFullYear();
  const pad = (value: number, width = 2) => String(value).padStart(width, '0');
  const yearText = year < 0 ? `-${pad(-year, 4)}` : pad(year, 4);
  return (
    `${yearText}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())}` +
    `T${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}Z`
  );
}

/** Returns the TOC as JSON bytes, byte for byte as the estargz package encodes it. */
export function encodeTOC(toc: TOC): Uint8Array {
  const ordered = { version: toc.version, entries: toc.entries.map(orderFields) };
  const text = JSON.stringify(ordered, null, '\t').replace(
    /[<>&\u2028\u2029]/g,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  return utf8(text);
}

function orderFields(entry: TOCEntry): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of FIELD_ORDER) {
    const value = entry[key];
    if (value === undefined) continue;
    if (key === 'xattrs') out[key] = sortKeys(value as Record<string, string>);
    else out[key] = value;
  }
  return out;
}

function sortKeys(record: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of Object.keys(record).sort()) out[key] = record[key];
  return out;
}

/**
 * Parses TOC JSON and checks its shape: a numeric version and entries with a
 * string name and a known type. `where` names the blob in messages.
 */
export function parseTOC(bytes: Uint8Array, where: string): TOC {
  let value: unknown;
  try {
    value = JSON.parse(fromUTF8(bytes));
  } catch (error) {
    throw new InvalidInputError(`reading TOC of ${where}: invalid JSON`, { cause: error });
  }
  const toc = value as Partial<TOC> | null;
  if (typeof toc !== 'object' || toc === null || typeof toc.version !== 'number') {
    throw new InvalidInputError(`reading TOC of ${where}: missing version`);
  }
  if (!Array.isArray(toc.entries)) {
    throw new InvalidInputError(`reading TOC of ${where}: missing entries`);
  }
  toc.entries.forEach((entry, index) => checkEntry(entry, index, where));
  return toc as TOC;
}

const KNOWN_TYPES = new Set<string>(Object.values(TOC_TYPES).concat('chunk'));
const NUMBER_FIELDS = ['size', 'offset', 'chunkOffset', 'chunkSize'] as const;

function checkEntry(entry: unknown, index: number, where: string) {
  const fail = (fact: string) =>
    new InvalidInputError(`reading TOC of ${where}: entry ${index} ${fact}`);
  if (typeof entry !== 'object' || entry === null) throw fail('is not an object');
  const record = entry as Record<string, unknown>;
  if (typeof record.name !== 'string') throw fail('has no name');
  if (typeof record.type !== 'string' || !KNOWN_TYPES.has(record.type)) {
    throw fail(`has unknown type ${JSON.stringify(record.type)}`);
  }
  for (const key of NUMBER_FIELDS) {
    const number = record[key];
    if (number === undefined) continue;
    if (!Number.isSafeInteger(number) || (number as number) < 0) {
      throw fail(`has invalid ${key} ${JSON.stringify(number)}`);
    }
  }
}
