/**
 * Checks an eStargz blob the way the estargz package's `VerifyTOC` and its
 * chunk verifiers do: the TOC digest, then every chunk's digest after
 * inflating its gzip member, and every file's digest over its chunks.
 */
import type { ByteSource } from '../bytes';
import type { Digest } from '../digest';
import { DigestMismatchError, InvalidInputError, abortError } from '../errors';
import { DigestBuilder } from './digest-builder';
import { gunzipRange } from './inflate';
import { openEStargz } from './reader';
import type { EStargzInfo } from './reader';
import type { TOCEntry } from './types';

/** One chunk of file content, as the TOC places it. */
interface ChunkRef {
  file: TOCEntry;
  entry: TOCEntry;
  offset: number;
  chunkOffset: number;
  size: number;
  /** Digest the chunk must have; the file's digest when the TOC has no chunk digests. */
  expected: string;
  /** True for the file's last chunk. */
  last: boolean;
}

/** Layer facts that `verifyEStargz` checked. */
export interface VerifyResult extends EStargzInfo {
  /** Regular files with content. */
  fileCount: number;
  chunkCount: number;
}

/**
 * Verifies an eStargz blob. Throws DigestMismatchError when the TOC, a chunk
 * or a file has another digest, InvalidInputError when the TOC is
 * inconsistent and NotEStargzError when the blob is not eStargz.
 */
export async function verifyEStargz(
  source: ByteSource,
  options: { tocDigest?: Digest; signal?: AbortSignal } = {},
): Promise<VerifyResult> {
  const info = await openEStargz(source, options);
  if (options.tocDigest !== undefined && options.tocDigest !== info.tocDigest) {
    throw new DigestMismatchError(
      `verifying ${source.name}: TOC digest`,
      options.tocDigest,
      info.tocDigest,
    );
  }
  const chunks = chunkRefs(info, source.name);
  const ends = memberEnds(chunks, info.tocOffset, source.name);
  let fileDigest = new DigestBuilder();
  let fileCount = 0;
  for (const chunk of chunks) {
    if (options.signal?.aborted) throw abortError();
    await checkChunk(source, chunk, ends.get(chunk.offset)!, fileDigest, options.signal);
    if (!chunk.last) continue;
    await checkFile(source.name, chunk.file, fileDigest);
    fileDigest = new DigestBuilder();
    fileCount++;
  }
  return { ...info, fileCount, chunkCount: chunks.length };
}

/**
 * Returns the chunks in TOC order, with sizes filled in as the estargz
 * reader does: a missing chunkSize means the rest of the file.
 */
function chunkRefs(info: EStargzInfo, name: string): ChunkRef[] {
  const fail = (fact: string) => new InvalidInputError(`verifying ${name}: ${fact}`);
  const hasChunkEntries = info.toc.entries.some((entry) => entry.type === 'chunk');
  const refs: ChunkRef[] = [];
  let file: TOCEntry | undefined;
  for (const entry of info.toc.entries) {
    if (entry.type === 'reg') file = entry;
    if (entry.type === 'chunk' && file === undefined) throw fail('chunk entry before any file');
    if (file === undefined || (entry.type !== 'reg' && entry.type !== 'chunk')) continue;
    const size = file.size ?? 0;
    if (size === 0) continue;
    const chunkOffset = entry.chunkOffset ?? 0;
    const expectedOffset = refs.length > 0 && refs[refs.length - 1].file === file
      ? refs[refs.length - 1].chunkOffset + refs[refs.length - 1].size
      : 0;
    if (chunkOffset !== expectedOffset) {
      throw fail(`chunk of ${file.name} at ${chunkOffset}, expected ${expectedOffset}`);
    }
    const chunkSize = entry.chunkSize || size - chunkOffset;
    if (chunkSize <= 0 || chunkOffset + chunkSize > size) {
      throw fail(`chunk of ${file.name} at ${chunkOffset} has invalid size ${chunkSize}`);
    }
    const expected = entry.chunkDigest ?? (hasChunkEntries ? undefined : file.digest);
    if (expected === undefined) throw fail(`chunk of ${file.name} at ${chunkOffset} has no digest`);
    refs.push({
      file,
      entry,
      offset: entry.offset ?? 0,
      chunkOffset,
      size: chunkSize,
      expected,
      last: chunkOffset + chunkSize === size,
    });
  }
  checkComplete(refs, fail);
  return refs;
}

function checkComplete(refs: ChunkRef[], fail: (fact: string) => Error) {
  for (let i = 0; i < refs.length; i++) {
    const ref = refs[i];
    const next = refs[i + 1];
    if (!ref.last && (next === undefined || next.file !== ref.file)) {
      throw fail(`chunks of ${ref.file.name} end at ${ref.chunkOffset + ref.size}`);
    }
  }
}

/** Returns, per chunk offset, where its members end: the next chunk's offset or the TOC's. */
function memberEnds(chunks: ChunkRef[], tocOffset: number, name: string): Map<number, number> {
  const offsets = [...new Set(chunks.map((chunk) => chunk.offset))].sort((a, b) => a - b);
  if (offsets.length !== chunks.length) {
    throw new InvalidInputError(`verifying ${name}: two chunks have the same offset`);
  }
  const ends = new Map<number, number>();
  offsets.forEach((offset, index) => ends.set(offset, offsets[index + 1] ?? tocOffset));
  if (offsets.length > 0 && (offsets[0] <= 0 || offsets[offsets.length - 1] >= tocOffset)) {
    throw new InvalidInputError(
      `verifying ${name}: chunk offsets ${offsets[0]} to ${offsets[offsets.length - 1]} ` +
        `are outside the blob before the TOC at ${tocOffset}`,
    );
  }
  return ends;
}

/** Inflates the members from the chunk's offset and checks the digest of its first bytes. */
async function checkChunk(
  source: ByteSource,
  chunk: ChunkRef,
  end: number,
  fileDigest: DigestBuilder,
  signal: AbortSignal | undefined,
) {
  const digest = new DigestBuilder();
  let taken = 0;
  for await (const piece of gunzipRange(source, chunk.offset, end, { signal })) {
    if (taken >= chunk.size) continue;
    const part = piece.subarray(0, chunk.size - taken);
    await digest.update(part);
    await fileDigest.update(part);
    taken += part.length;
  }
  const where = `verifying ${source.name}: chunk of ${chunk.file.name} at ${chunk.chunkOffset}`;
  if (taken < chunk.size) {
    throw new InvalidInputError(
      `${where}: members from offset ${chunk.offset} inflate to ${taken} of ${chunk.size} bytes`,
    );
  }
  const actual = await digest.digest();
  if (actual !== chunk.expected) throw new DigestMismatchError(where, chunk.expected, actual);
}

async function checkFile(name: string, file: TOCEntry, digest: DigestBuilder) {
  if (file.digest === undefined) return;
  const actual = await digest.digest();
  if (actual !== file.digest) {
    throw new DigestMismatchError(`verifying ${name}: content of ${file.name}`, file.digest, actual);
  }
}
