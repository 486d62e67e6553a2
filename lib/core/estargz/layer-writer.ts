/**
 * The eStargz byte layout, written from tar events in their final order.
 *
 * Gzip members follow the estargz package's `Writer.AppendTar`: a new member
 * starts at every chunk of a regular file's content (at most `chunkSize`
 * bytes). Everything else, meaning tar headers, padding and entries without
 * content, goes into the member that is open, so the member of a file's last
 * chunk also contains its padding and the headers up to the next file with
 * content. The TOC entry (its header, the JSON, padding and the end-of-archive
 * blocks) is a member of its own, and the 51-byte footer ends the blob.
 *
 * NOTE: the estargz package's `Build` splits its input into one part per CPU
 * and closes a member at each part's end; this writer has one part, which is
 * what `Build` does with GOMAXPROCS=1. It also closes a member once it
 * contains 1 MiB besides chunk content (about 2000 headers in a row), because
 * members are compressed whole (see gzip-member.ts). Readers inflate from a
 * chunk's offset across member ends, so the extra boundaries change nothing
 * for them. The TOC member is never split.
 */
import { InvalidInputError } from '../errors';
import { concatBytes } from '../bytes';
import type { Digest, DiffID } from '../digest';
import { createHasher, sha256 } from '../sha256';
import type { SHA256Hasher } from '../sha256';
import type { TarEntry } from '../tar/entry';
import { tarEnd, tarHeader, tarPadding } from '../tar/writer';
import { DigestBuilder } from './digest-builder';
import { estargzFooter } from './footer';
import { GzipMemberWriter } from './gzip-member';
import type { CompressionLevel } from './gzip-member';
import { OwnerNames, encodeTOC, tocEntryFor } from './toc';
import { TOC_TAR_NAME, TOC_VERSION } from './types';
import type { TOCEntry } from './types';

/** Most bytes other than chunk content that one member takes before a new one starts. */
const MAX_MEMBER_EXTRA_BYTES = 1 << 20;

/** SHA-256 of no bytes, the digest that an empty regular file gets in the TOC. */
const EMPTY_DIGEST = 'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/** Digests and sizes of a built layer. */
export interface LayerResult {
  /** Digest of the eStargz blob. */
  digest: Digest;
  /** Digest of the uncompressed blob, a tar that ends with the TOC entry. */
  diffID: DiffID;
  /** Size of the blob in bytes. */
  size: number;
  /** Size of the uncompressed blob in bytes. */
  uncompressedSize: number;
  /** Digest of the TOC JSON, the value of the `toc.digest` annotation. */
  tocDigest: Digest;
  /** Offset of the TOC's gzip member in the blob. */
  tocOffset: number;
}

/** The regular file whose content is being written. */
interface OpenFile {
  path: string;
  size: number;
  written: number;
  first: TOCEntry;
  /** Digest of the whole file; only files with more than one chunk need their own. */
  fileDigest?: DigestBuilder;
  chunk?: { entry: TOCEntry; remaining: number; digest: DigestBuilder };
}

/** Turns tar events into eStargz bytes; `drain` hands out what is ready. */
export class LayerWriter {
  private pending: Uint8Array[] = [];
  private pendingSize = 0;
  private compressedSize = 0;
  private uncompressedSize = 0;
  private member: GzipMemberWriter | undefined;
  /** Bytes in the open member that are not chunk content. */
  private memberExtraBytes = 0;
  private readonly entries: TOCEntry[] = [];
  private readonly owners = new OwnerNames();
  private file: OpenFile | undefined;

  private constructor(
    private readonly name: string,
    private readonly chunkSize: number,
    private readonly level: CompressionLevel,
    private readonly blobHasher: SHA256Hasher,
    private readonly diffHasher: SHA256Hasher,
  ) {}

  /** Returns a writer; `name` labels the layer in error messages. */
  static async create(
    name: string,
    chunkSize: number,
    level: CompressionLevel,
  ): Promise<LayerWriter> {
    return new LayerWriter(name, chunkSize, level, await createHasher(), await createHasher());
  }

  /** Bytes of output waiting in `drain`. */
  get pendingBytes(): number {
    return this.pendingSize;
  }

  /** Returns the output produced since the last call, as one piece, and clears it. */
  drain(): Uint8Array {
    const out = this.pending.length === 1 ? this.pending[0] : concatBytes(this.pending);
    this.pending = [];
    this.pendingSize = 0;
    return out;
  }

  /** Starts an entry: writes its header and, for a file without content, its TOC entry. */
  async entry(entry: TarEntry): Promise<void> {
    this.checkFileComplete();
    this.writeTar(tarHeader(entry));
    const tocEntry = tocEntryFor(entry, this.owners);
    if (entry.type !== 'file' || entry.size === 0) {
      if (entry.type === 'file') tocEntry.digest = EMPTY_DIGEST;
      this.entries.push(tocEntry);
      return;
    }
    this.file = { path: entry.path, size: entry.size, written: 0, first: tocEntry };
    if (entry.size > this.chunkSize) this.file.fileDigest = new DigestBuilder();
  }

  /** Writes a piece of the current entry's content, cutting chunks as it goes. */
  async data(bytes: Uint8Array): Promise<void> {
    if (bytes.length === 0) return;
    const file = this.file;
    if (file === undefined || file.written + bytes.length > file.size) {
      throw new InvalidInputError(
        `building eStargz for ${this.name}: content past the end of ` +
          `${file?.path ?? 'an entry without content'}`,
      );
    }
    for (let at = 0; at < bytes.length; ) {
      const chunk = file.chunk ?? this.startChunk(file);
      const piece = bytes.subarray(at, at + Math.min(chunk.remaining, bytes.length - at));
      this.writeTar(piece, true);
      await chunk.digest.update(piece);
      await file.fileDigest?.update(piece);
      chunk.remaining -= piece.length;
      file.written += piece.length;
      at += piece.length;
      if (chunk.remaining === 0) {
        chunk.entry.chunkDigest = await chunk.digest.digest();
        file.chunk = undefined;
      }
    }
    if (file.written === file.size) await this.endFile(file);
  }

  /** Writes the TOC member and the footer, and returns the layer's digests. */
  async finish(): Promise<LayerResult> {
    this.checkFileComplete();
    this.closeMember();
    const tocOffset = this.compressedSize;
    const json = encodeTOC({ version: TOC_VERSION, entries: this.entries });
    const tocDigest = await sha256(json);
    // The TOC must be one member: readers inflate just the first member at tocOffset.
    this.writeTar(tarHeader(tocTarEntry(json.length)), true);
    this.writeTar(json, true);
    this.writeTar(tarPadding(json.length), true);
    this.writeTar(tarEnd(), true);
    this.closeMember();
    this.emit(estargzFooter(tocOffset));
    return {
      digest: this.blobHasher.digest(),
      diffID: this.diffHasher.digest() as string as DiffID,
      size: this.compressedSize,
      uncompressedSize: this.uncompressedSize,
      tocDigest,
      tocOffset,
    };
  }

  private startChunk(file: OpenFile): NonNullable<OpenFile['chunk']> {
    // A chunk starts a member, so that a reader can inflate it on its own.
    this.closeMember();
    const remaining = file.size - file.written;
    const entry: TOCEntry =
      file.written === 0 ? file.first : { name: file.first.name, type: 'chunk' };
    entry.offset = this.compressedSize;
    if (file.written > 0) entry.chunkOffset = file.written;
    // As in the estargz package, only a chunk of the full size records it;
    // a shorter last chunk leaves chunkSize out, meaning "to the end".
    if (remaining >= this.chunkSize) entry.chunkSize = this.chunkSize;
    this.entries.push(entry);
    const size = Math.min(remaining, this.chunkSize);
    file.chunk = { entry, remaining: size, digest: new DigestBuilder() };
    return file.chunk;
  }

  private async endFile(file: OpenFile) {
    file.first.digest = file.fileDigest
      ? await file.fileDigest.digest()
      : file.first.chunkDigest;
    this.writeTar(tarPadding(file.size));
    this.file = undefined;
  }

  private checkFileComplete() {
    const file = this.file;
    if (file === undefined) return;
    throw new InvalidInputError(
      `building eStargz for ${this.name}: content of ${file.path} ended ` +
        `after ${file.written} of ${file.size} bytes`,
    );
  }

  /**
   * Writes uncompressed tar bytes into the open member, opening one if
   * needed. `sameMember` marks bytes that must not start a new member: chunk
   * content and the TOC entry.
   */
  private writeTar(bytes: Uint8Array, sameMember = false) {
    if (bytes.length === 0) return;
    if (!sameMember) {
      if (this.memberExtraBytes + bytes.length > MAX_MEMBER_EXTRA_BYTES) this.closeMember();
      this.memberExtraBytes += bytes.length;
    }
    this.member ??= new GzipMemberWriter(this.level, (out) => this.emit(out));
    this.member.write(bytes);
    this.diffHasher.update(bytes);
    this.uncompressedSize += bytes.length;
  }

  private closeMember() {
    this.member?.close();
    this.member = undefined;
    this.memberExtraBytes = 0;
  }

  private emit(bytes: Uint8Array) {
    this.pending.push(bytes);
    this.pendingSize += bytes.length;
    this.compressedSize += bytes.length;
    this.blobHasher.update(bytes);
  }
}

/** Returns the header fields of the TOC entry, as the estargz package writes them. */
function tocTarEntry(size: number): TarEntry {
  return {
    path: TOC_TAR_NAME,
    type: 'file',
    typeflag: '0',
    mode: 0,
    uid: 0,
    gid: 0,
    uname: '',
    gname: '',
    mtime: 0,
    size,
    headerOffset: 0,
    dataOffset: 0,
  };
}
