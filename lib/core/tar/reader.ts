/**
 * Streaming tar parser: takes the stream in pieces of any size and returns
 * entry, data and end events, plus the regions (headers, content, padding,
 * end-of-archive) that the file-boundary chunker cuts at.
 *
 * Reads ustar, PAX ('x' and 'g') and GNU ('L', 'K', base-256 numbers)
 * headers. Limits: GNU sparse files ('S' typeflag or PAX GNU.sparse records)
 * and typeflags outside POSIX raise UnsupportedError, except GNU volume labels
 * ('V'), which carry no file and are skipped. Bytes after the first zero
 * block are not read, as GNU tar and Python's tarfile do; a stream may also
 * end without any end-of-archive block.
 */
import { InvalidTarError, UnsupportedError, abortError, assert } from '../errors';
import type { TarEvent } from './entry';
import {
  BLOCK_SIZE,
  isZeroBlock,
  paddingAfter,
  parseHeaderBlock,
} from './header-block';
import type { HeaderBlock } from './header-block';
import { resolveEntry, typeflagRole } from './headers';
import type { GNULongNames, TypeflagRole } from './headers';
import { effectiveRecords, mergeGlobalRecords, parsePaxRecords } from './pax';
import type { PaxRecords } from './pax';
import { decodeText, untilNUL } from './text';

/** Largest PAX or GNU long-name header content read: 1 MiB, as in Go's archive/tar. */
export const MAX_EXTENDED_HEADER_BYTES = 1 << 20;

/**
 * Kind of a byte range of the stream. 'header' covers all header blocks of one
 * entry (PAX, global PAX, GNU long-name and volume-label blocks with their
 * content included); 'end' covers the end-of-archive blocks and anything after.
 */
export type TarRegionKind = 'header' | 'data' | 'padding' | 'end';

/** A byte range of the stream; regions never overlap and are never empty. */
export interface TarRegion {
  kind: TarRegionKind;
  offset: number;
  size: number;
}

type Phase = 'header' | 'extended' | 'data' | 'skip' | 'end';

type ExtendedRole = Extract<
  TypeflagRole['role'],
  'pax-local' | 'pax-global' | 'long-name' | 'long-link'
>;

/** Content of a PAX or GNU long-name entry, buffered until complete. */
interface ExtendedHeader {
  role: ExtendedRole;
  buffer: Uint8Array;
  fill: number;
  dataOffset: number;
}

/**
 * A push parser over one tar stream. Data events are subarrays of the pushed
 * pieces, so callers must not reuse a piece's memory while they hold events.
 */
export class TarStreamParser {
  /** Stream name used in error messages, such as "layer 2". */
  readonly name: string;
  /**
   * Regions that ended during the last push() or finish() call, in stream
   * order. A region that ends at the end of a piece is reported in that push.
   */
  regions: TarRegion[] = [];

  private events: TarEvent[] = [];
  private offset = 0;
  private phase: Phase = 'header';
  private finished = false;
  private readonly block = new Uint8Array(BLOCK_SIZE);
  private blockFill = 0;
  /** Offset of the first header block of the entry being read, or -1. */
  private headerStart = -1;
  private regionStart = 0;
  private remaining = 0;
  private padding = 0;
  private skipKind: 'header' | 'padding' = 'padding';
  private extended: ExtendedHeader | undefined;
  private globalRecords: PaxRecords = new Map();
  private localRecords: PaxRecords = new Map();
  private longNames: GNULongNames = {};
  private currentPath = '';
  private endStart = -1;
  private failure: { error: unknown } | undefined;

  constructor(options: { name?: string } = {}) {
    this.name = options.name ?? 'tar stream';
  }

  /**
   * Offsets where a region starts that became known during the last call:
   * the ends of `regions`, in the form `ChunkCutter.push` takes. Each lies
   * inside or at the end of the piece just pushed.
   */
  get regionStarts(): number[] {
    return this.regions.map((region) => region.offset + region.size);
  }

  /**
   * Consumes the next piece and returns the events it completes. After an
   * error, every later call throws the same error.
   */
  push(piece: Uint8Array): TarEvent[] {
    if (this.finished) throw new Error('TarStreamParser.push: called after finish');
    return this.run(() => {
      let at = 0;
      while (at < piece.length) at = this.step(piece, at);
    });
  }

  /**
   * Ends the stream and returns the last events. Throws InvalidTarError when
   * the stream stops inside a header, content or padding.
   */
  finish(): TarEvent[] {
    if (this.finished) throw new Error('TarStreamParser.finish: called twice');
    this.finished = true;
    return this.run(() => {
      if (this.phase === 'header') this.finishAtHeader();
      if (this.phase !== 'end') throw this.truncated();
      this.addRegion('end', this.endStart, this.offset);
    });
  }

  private run(body: () => void): TarEvent[] {
    if (this.failure) throw this.failure.error;
    this.events = [];
    this.regions = [];
    try {
      body();
    } catch (error) {
      this.failure = { error };
      throw error;
    }
    return this.events;
  }

  private step(piece: Uint8Array, at: number): number {
    switch (this.phase) {
      case 'header':
        return this.readHeader(piece, at);
      case 'extended':
        return this.readExtended(piece, at);
      case 'data':
        return this.readData(piece, at);
      case 'skip':
        return this.skip(piece, at);
      case 'end':
        this.offset += piece.length - at;
        return piece.length;
    }
  }

  /** Collects a header block, without copying when the piece contains it whole. */
  private readHeader(piece: Uint8Array, at: number): number {
    const available = piece.length - at;
    if (this.blockFill === 0 && available >= BLOCK_SIZE) {
      this.offset += BLOCK_SIZE;
      this.onHeaderBlock(piece.subarray(at, at + BLOCK_SIZE));
      return at + BLOCK_SIZE;
    }
    const take = Math.min(available, BLOCK_SIZE - this.blockFill);
    this.block.set(piece.subarray(at, at + take), this.blockFill);
    this.blockFill += take;
    this.offset += take;
    if (this.blockFill === BLOCK_SIZE) {
      this.blockFill = 0;
      this.onHeaderBlock(this.block);
    }
    return at + take;
  }

  private onHeaderBlock(block: Uint8Array): void {
    const blockStart = this.offset - BLOCK_SIZE;
    if (isZeroBlock(block)) {
      this.startEnd(blockStart);
      return;
    }
    if (this.headerStart < 0) this.headerStart = blockStart;
    const header = parseHeaderBlock(block, blockStart, this.name);
    const role = typeflagRole(header.typeflag);
    switch (role.role) {
      case 'entry':
        this.startEntry(header, role, blockStart);
        return;
      case 'skip':
        this.startSkip(header.size + paddingAfter(header.size), 'header');
        return;
      case 'unsupported':
        throw new UnsupportedError(
          `reading ${this.name}: ${role.what} for ${decodeText(header.name).text} ` +
            `at offset ${blockStart} is not supported`,
        );
      default:
        this.startExtended(role.role, header, blockStart);
    }
  }

  private startEntry(
    header: HeaderBlock,
    role: Extract<TypeflagRole, { role: 'entry' }>,
    blockStart: number,
  ): void {
    const dataOffset = blockStart + BLOCK_SIZE;
    const records = effectiveRecords(this.globalRecords, this.localRecords);
    const offsets = { headerOffset: this.headerStart, dataOffset };
    const entry = resolveEntry(header, role.type, records, this.longNames, offsets, this.name);
    this.localRecords = new Map();
    this.longNames = {};
    this.addRegion('header', this.headerStart, dataOffset);
    this.headerStart = -1;
    this.currentPath = entry.path;
    this.events.push({ type: 'entry', entry });
    if (entry.size === 0) return;
    this.phase = 'data';
    this.regionStart = dataOffset;
    this.remaining = entry.size;
    this.padding = paddingAfter(entry.size);
  }

  private readData(piece: Uint8Array, at: number): number {
    const take = Math.min(piece.length - at, this.remaining);
    this.events.push({
      type: 'data',
      offset: this.offset,
      bytes: piece.subarray(at, at + take),
    });
    this.offset += take;
    this.remaining -= take;
    if (this.remaining === 0) {
      this.addRegion('data', this.regionStart, this.offset);
      this.startSkip(this.padding, 'padding');
    }
    return at + take;
  }

  private startExtended(role: ExtendedRole, header: HeaderBlock, blockStart: number): void {
    if (header.size > MAX_EXTENDED_HEADER_BYTES) {
      throw new UnsupportedError(
        `reading ${this.name}: extended header (typeflag ${header.typeflag}) at offset ` +
          `${blockStart} is ${header.size} bytes, more than the ` +
          `${MAX_EXTENDED_HEADER_BYTES}-byte limit`,
      );
    }
    const dataOffset = blockStart + BLOCK_SIZE;
    this.extended = { role, buffer: new Uint8Array(header.size), fill: 0, dataOffset };
    this.phase = 'extended';
    if (header.size === 0) this.finishExtended();
  }

  private readExtended(piece: Uint8Array, at: number): number {
    const extended = this.extended;
    assert(extended, 'extended header state without a header');
    const take = Math.min(piece.length - at, extended.buffer.length - extended.fill);
    extended.buffer.set(piece.subarray(at, at + take), extended.fill);
    extended.fill += take;
    this.offset += take;
    if (extended.fill === extended.buffer.length) this.finishExtended();
    return at + take;
  }

  private finishExtended(): void {
    const extended = this.extended;
    assert(extended, 'extended header state without a header');
    const { role, buffer, dataOffset } = extended;
    this.extended = undefined;
    if (role === 'pax-local' || role === 'pax-global') {
      const records = parsePaxRecords(buffer, dataOffset, this.name);
      if (role === 'pax-global') mergeGlobalRecords(this.globalRecords, records);
      else for (const [key, value] of records) this.localRecords.set(key, value);
    } else if (role === 'long-name') {
      this.longNames.name = untilNUL(buffer);
    } else {
      this.longNames.link = untilNUL(buffer);
    }
    this.startSkip(paddingAfter(buffer.length), 'header');
  }

  /** Skips `count` bytes that belong to the current header or padding region. */
  private startSkip(count: number, kind: 'header' | 'padding'): void {
    this.phase = 'skip';
    this.skipKind = kind;
    this.regionStart = this.offset;
    this.remaining = count;
    if (count === 0) this.endSkip();
  }

  private skip(piece: Uint8Array, at: number): number {
    const take = Math.min(piece.length - at, this.remaining);
    this.offset += take;
    this.remaining -= take;
    if (this.remaining === 0) this.endSkip();
    return at + take;
  }

  private endSkip(): void {
    if (this.skipKind === 'padding') this.addRegion('padding', this.regionStart, this.offset);
    this.phase = 'header';
  }

  /** Handles the first end-of-archive block (or the stream's end) at `start`. */
  private startEnd(start: number): void {
    if (this.hasPendingEntryHeaders()) {
      throw new InvalidTarError(
        `reading ${this.name}: extended header at offset ${this.headerStart} ` +
          `has no entry after it`,
        this.headerStart,
      );
    }
    // Only global PAX headers or volume labels came before the end.
    if (this.headerStart >= 0) this.addRegion('header', this.headerStart, start);
    this.headerStart = -1;
    this.phase = 'end';
    this.endStart = start;
    this.events.push({ type: 'end', offset: start });
  }

  private hasPendingEntryHeaders(): boolean {
    return (
      this.localRecords.size > 0 ||
      this.longNames.name !== undefined ||
      this.longNames.link !== undefined
    );
  }

  /**
   * At the stream's end between entries: no end-of-archive block is fine, and
   * a partial block of zeros counts as one.
   */
  private finishAtHeader(): void {
    const partial = this.block.subarray(0, this.blockFill);
    if (this.blockFill > 0 && !isZeroBlock(partial)) return;
    this.startEnd(this.offset - this.blockFill);
  }

  private truncated(): InvalidTarError {
    const missing = this.remaining;
    let where: string;
    if (this.phase === 'header') {
      where = `the header block at offset ${this.offset - this.blockFill}`;
    } else if (this.phase === 'extended') {
      const extended = this.extended;
      assert(extended, 'extended header state without a header');
      const size = extended.buffer.length;
      where = `the extended header at offset ${extended.dataOffset - BLOCK_SIZE} ` +
        `(${size - extended.fill} of ${size} bytes missing)`;
    } else if (this.phase === 'data') {
      where = `the content of ${this.currentPath} (${missing} bytes missing)`;
    } else if (this.skipKind === 'padding') {
      where = `the padding after ${this.currentPath} (${missing} bytes missing)`;
    } else {
      where = `the padding of the extended header at offset ${this.headerStart}`;
    }
    return new InvalidTarError(
      `reading ${this.name}: unexpected end of tar at offset ${this.offset}, in ${where}`,
      this.offset,
    );
  }

  private addRegion(kind: TarRegionKind, start: number, end: number): void {
    if (end > start) this.regions.push({ kind, offset: start, size: end - start });
  }
}

/**
 * Parses a tar stream and yields its events in order. Throws InvalidTarError
 * or UnsupportedError as the parser does, and AbortError when `signal` aborts.
 */
export async function* parseTarStream(
  pieces: AsyncIterable<Uint8Array>,
  options: { name?: string; signal?: AbortSignal } = {},
): AsyncGenerator<TarEvent> {
  const parser = new TarStreamParser({ name: options.name });
  for await (const piece of pieces) {
    if (options.signal?.aborted) throw abortError();
    yield* parser.push(piece);
  }
  if (options.signal?.aborted) throw abortError();
  yield* parser.finish();
}
