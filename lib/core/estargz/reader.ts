/**
 * Opens an eStargz blob: footer, then the TOC member, then the TOC JSON and
 * its digest. Reads the 51-byte eStargz footer and the 47-byte legacy stargz
 * footer, as the estargz package's `Open` does for gzip blobs.
 */
import { collectBytes } from '../bytes';
import type { ByteSource } from '../bytes';
import type { Digest } from '../digest';
import { InvalidInputError } from '../errors';
import { sha256 } from '../sha256';
import { parseTarStream } from '../tar/reader';
import { FOOTER_SIZE_BYTES, parseFooter } from './footer';
import { gunzipRange } from './inflate';
import { parseTOC } from './toc';
import { TOC_TAR_NAME } from './types';
import type { TOC } from './types';

/**
 * Largest TOC JSON read: 128 MiB, several hundred thousand entries. The TOC
 * is held in memory whole, and a small gzip member can inflate to gigabytes.
 */
export const MAX_TOC_BYTES = 128 << 20;

/** A blob without an eStargz or stargz footer, such as a plain tar.gz layer. */
export class NotEStargzError extends InvalidInputError {
  override name = 'NotEStargzError';
}

/** Footer and TOC fields that `openEStargz` reads from a blob. */
export interface EStargzInfo {
  toc: TOC;
  /** SHA-256 of the TOC JSON bytes, which the `toc.digest` annotation names. */
  tocDigest: Digest;
  /** Offset of the TOC's gzip member in the blob. */
  tocOffset: number;
  /** 51, or 47 for a legacy stargz blob. */
  footerSize: number;
  legacy: boolean;
}

/**
 * Reads the footer and TOC of an eStargz blob. Throws NotEStargzError when
 * the blob has no footer and InvalidInputError when the TOC is damaged.
 */
export async function openEStargz(
  source: ByteSource,
  options: { signal?: AbortSignal } = {},
): Promise<EStargzInfo> {
  const tailSize = Math.min(source.size, FOOTER_SIZE_BYTES);
  const tail = await source.read(source.size - tailSize, tailSize);
  const footer = parseFooter(tail);
  if (footer === undefined) {
    throw new NotEStargzError(
      `opening ${source.name}: not eStargz: no eStargz or stargz footer ` +
        `in the last ${tailSize} bytes`,
    );
  }
  const tocEnd = source.size - footer.footerSize;
  if (footer.tocOffset >= tocEnd) {
    throw new NotEStargzError(
      `opening ${source.name}: not eStargz: footer names TOC offset ` +
        `${footer.tocOffset}, past the end of the blob at ${tocEnd}`,
    );
  }
  const json = await readTOCEntry(source, footer.tocOffset, tocEnd, options.signal);
  return {
    toc: parseTOC(json, source.name),
    tocDigest: await sha256(json),
    tocOffset: footer.tocOffset,
    footerSize: footer.footerSize,
    legacy: footer.legacy,
  };
}

/** Returns the content of the first tar entry in the TOC member, which must be the TOC. */
async function readTOCEntry(
  source: ByteSource,
  tocOffset: number,
  tocEnd: number,
  signal: AbortSignal | undefined,
): Promise<Uint8Array> {
  const where = `${source.name} TOC at offset ${tocOffset}`;
  const members = gunzipRange(source, tocOffset, tocEnd, { signal, firstMemberOnly: true });
  const parts: Uint8Array[] = [];
  let found = false;
  for await (const event of parseTarStream(members, { name: where, signal })) {
    if (event.type === 'entry') {
      if (found) break;
      if (event.entry.path !== TOC_TAR_NAME) {
        throw new InvalidInputError(
          `reading ${where}: tar entry is ${JSON.stringify(event.entry.path)}, ` +
            `expected ${TOC_TAR_NAME}`,
        );
      }
      if (event.entry.size > MAX_TOC_BYTES) {
        throw new InvalidInputError(
          `reading ${where}: ${TOC_TAR_NAME} is ${event.entry.size} bytes, ` +
            `more than the ${MAX_TOC_BYTES}-byte limit`,
        );
      }
      found = true;
    } else if (event.type === 'data') {
      parts.push(event.bytes);
    }
  }
  if (!found) throw new InvalidInputError(`reading ${where}: no tar entry`);
  return collectBytes(parts);
}
