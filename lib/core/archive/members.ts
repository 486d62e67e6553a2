/**
 * The member table of an archive's outer tar, read by offsets: one header
 * block per member (plus PAX and GNU long-name content), never the members'
 * content. Symlinked and hard-linked members resolve to their targets.
 */
import type { ByteSource } from '../bytes';
import { readRange } from '../bytes';
import { InvalidArchiveError, InvalidTarError, UnsupportedError, abortError } from '../errors';
import type { TarEntryType } from '../tar/entry';
import {
  BLOCK_SIZE,
  isZeroBlock,
  paddingAfter,
  parseHeaderBlock,
} from '../tar/header-block';
import type { HeaderBlock } from '../tar/header-block';
import { resolveEntry, typeflagRole } from '../tar/headers';
import type { GNULongNames } from '../tar/headers';
import { effectiveRecords, mergeGlobalRecords, parsePaxRecords } from '../tar/pax';
import type { PaxRecords } from '../tar/pax';
import { MAX_EXTENDED_HEADER_BYTES } from '../tar/reader';
import { decodeText, untilNUL } from '../tar/text';

/** One member of the outer tar. */
export interface ArchiveMember {
  /** Path with `./`, duplicate slashes and `..` segments resolved. */
  path: string;
  type: TarEntryType;
  size: number;
  dataOffset: number;
  linkname?: string;
  /** For a hard link: the member it named when it was written. */
  linkTarget?: ArchiveMember;
}

/** Symlink hops followed before a member counts as a loop. */
const MAX_LINK_HOPS = 16;

/** Returns `path` without `.` and empty segments, with `..` applied. */
export function normalizeMemberPath(path: string): string {
  const parts: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') parts.pop();
    else parts.push(part);
  }
  return parts.join('/');
}

/** The members of one archive, by normalized path; a later duplicate wins, as on extraction. */
export class MemberTable {
  readonly source: ByteSource;
  private readonly members: Map<string, ArchiveMember>;

  constructor(source: ByteSource, members: Map<string, ArchiveMember>) {
    this.source = source;
    this.members = members;
  }

  /** Returns the member at `path` as stored, without following links. */
  get(path: string): ArchiveMember | undefined {
    return this.members.get(normalizeMemberPath(path));
  }

  /** Returns every member path, in archive order. */
  paths(): string[] {
    return [...this.members.keys()];
  }

  /**
   * Returns the regular file that `path` names, following symlinks and hard
   * links, or undefined when it is missing. Throws InvalidArchiveError for a
   * link loop or a path that names something other than a file.
   * NOTE: only the last path segment is followed; a symlinked parent
   * directory is not resolved, and `docker save` writes none.
   */
  resolve(path: string): ArchiveMember | undefined {
    let member = this.get(path);
    for (let hop = 0; member && hop <= MAX_LINK_HOPS; hop++) {
      if (member.type === 'file') return member;
      if (member.type === 'hardlink') {
        member = member.linkTarget ?? this.get(member.linkname ?? '');
      } else if (member.type === 'symlink') {
        member = this.get(symlinkTarget(member));
      } else {
        throw new InvalidArchiveError(
          `reading ${this.source.name}: member ${path} is a ${member.type}, not a file`,
        );
      }
    }
    if (!member) return undefined;
    throw new InvalidArchiveError(
      `reading ${this.source.name}: member ${path} is a link loop (more than ${MAX_LINK_HOPS} hops)`,
    );
  }

  /** Returns true when `path` resolves to a regular file. */
  has(path: string): boolean {
    return this.resolve(path) !== undefined;
  }

  /**
   * Reads a whole member of at most `maxBytes` bytes, such as a JSON file.
   * Throws InvalidArchiveError naming `path` when it is missing or too large.
   */
  async readSmall(path: string, maxBytes: number): Promise<Uint8Array> {
    const member = this.resolve(path);
    if (!member) {
      throw new InvalidArchiveError(`reading ${this.source.name}: member ${path} is missing`);
    }
    if (member.size > maxBytes) {
      throw new InvalidArchiveError(
        `reading ${this.source.name}: member ${path} is ${member.size} bytes, ` +
          `more than the ${maxBytes}-byte limit for metadata`,
      );
    }
    return this.source.read(member.dataOffset, member.size);
  }

  /** Streams the content of a resolved member. */
  stream(
    member: ArchiveMember,
    options: { signal?: AbortSignal; pieceSize?: number } = {},
  ): AsyncGenerator<Uint8Array> {
    return readRange(this.source, member.dataOffset, member.size, options);
  }
}

function symlinkTarget(member: ArchiveMember): string {
  const target = member.linkname ?? '';
  if (target.startsWith('/')) return target;
  const slash = member.path.lastIndexOf('/');
  const dir = slash < 0 ? '' : member.path.slice(0, slash + 1);
  return dir + target;
}

/** Per-walk state: extended headers that apply to the next member. */
interface WalkState {
  global: PaxRecords;
  local: PaxRecords;
  longNames: GNULongNames;
  headerStart: number;
}

/**
 * Walks the outer tar of `source` and returns its member table. Throws
 * InvalidTarError for a malformed or truncated header, and UnsupportedError
 * for members the tar reader does not handle (such as sparse files).
 */
export async function readMemberTable(
  source: ByteSource,
  options: { signal?: AbortSignal } = {},
): Promise<MemberTable> {
  const members = new Map<string, ArchiveMember>();
  const state: WalkState = { global: new Map(), local: new Map(), longNames: {}, headerStart: -1 };
  let offset = 0;
  while (offset < source.size) {
    if (options.signal?.aborted) throw abortError();
    const block = await source.read(offset, BLOCK_SIZE);
    if (isZeroBlock(block)) break;
    if (block.length < BLOCK_SIZE) throw truncated(source, offset, 'a header block');
    if (state.headerStart < 0) state.headerStart = offset;
    const header = parseHeaderBlock(block, offset, source.name);
    offset = await readMember(source, header, offset, state, members);
  }
  if (state.headerStart >= 0 && hasPending(state)) {
    throw new InvalidTarError(
      `reading ${source.name}: extended header at offset ${state.headerStart} has no entry after it`,
      state.headerStart,
    );
  }
  return new MemberTable(source, members);
}

/** Handles the header at `offset` and returns the offset of the next header. */
async function readMember(
  source: ByteSource,
  header: HeaderBlock,
  offset: number,
  state: WalkState,
  members: Map<string, ArchiveMember>,
): Promise<number> {
  const dataOffset = offset + BLOCK_SIZE;
  const next = (size: number) => dataOffset + size + paddingAfter(size);
  const role = typeflagRole(header.typeflag);
  if (role.role === 'unsupported') {
    throw new UnsupportedError(
      `reading ${source.name}: ${role.what} for ${decodeText(header.name).text} ` +
        `at offset ${offset} is not supported`,
    );
  }
  if (role.role === 'skip') return next(header.size);
  if (role.role !== 'entry') {
    const content = await readExtended(source, header, offset);
    if (role.role === 'pax-global') {
      mergeGlobalRecords(state.global, parsePaxRecords(content, dataOffset, source.name));
    } else if (role.role === 'pax-local') {
      const records = parsePaxRecords(content, dataOffset, source.name);
      for (const [key, value] of records) state.local.set(key, value);
    } else if (role.role === 'long-name') {
      state.longNames.name = untilNUL(content);
    } else {
      state.longNames.link = untilNUL(content);
    }
    return next(header.size);
  }

  const records = effectiveRecords(state.global, state.local);
  const offsets = { headerOffset: state.headerStart, dataOffset };
  const entry = resolveEntry(header, role.type, records, state.longNames, offsets, source.name);
  state.local = new Map();
  state.longNames = {};
  state.headerStart = -1;
  if (dataOffset + entry.size > source.size) {
    throw truncated(source, source.size, `the content of ${entry.path}`);
  }
  addMember(members, {
    path: normalizeMemberPath(entry.path),
    type: entry.type,
    size: entry.size,
    dataOffset,
    ...(entry.linkname !== undefined ? { linkname: entry.linkname } : {}),
  });
  return next(entry.size);
}

function addMember(members: Map<string, ArchiveMember>, member: ArchiveMember): void {
  if (member.path === '') return;
  if (member.type === 'hardlink') {
    const target = members.get(normalizeMemberPath(member.linkname ?? ''));
    if (target) member.linkTarget = target.linkTarget ?? target;
  }
  // A later member replaces an earlier one of the same path, as on extraction.
  members.delete(member.path);
  members.set(member.path, member);
}

async function readExtended(
  source: ByteSource,
  header: HeaderBlock,
  offset: number,
): Promise<Uint8Array> {
  if (header.size > MAX_EXTENDED_HEADER_BYTES) {
    throw new UnsupportedError(
      `reading ${source.name}: extended header (typeflag ${header.typeflag}) at offset ` +
        `${offset} is ${header.size} bytes, more than the ${MAX_EXTENDED_HEADER_BYTES}-byte limit`,
    );
  }
  const content = await source.read(offset + BLOCK_SIZE, header.size);
  if (content.length < header.size) {
    throw truncated(source, source.size, `the extended header at offset ${offset}`);
  }
  return content;
}

function hasPending(state: WalkState): boolean {
  return (
    state.local.size > 0 ||
    state.longNames.name !== undefined ||
    state.longNames.link !== undefined
  );
}

function truncated(source: ByteSource, offset: number, what: string): InvalidTarError {
  return new InvalidTarError(
    `reading ${source.name}: unexpected end of tar at offset ${offset}, in ${what}`,
    offset,
  );
}
