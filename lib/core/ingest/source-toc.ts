/**
 * The TOC of a source layer that is already eStargz. The store keeps only
 * the uncompressed chunks, so the ingest reads the footer and TOC from the
 * archive member while it still has it.
 */
import type { ArchiveLayer } from '../archive/types';
import type { Digest } from '../digest';
import { CodedError, isAbortError } from '../errors';
import { openEStargz } from '../estargz/reader';
import { TOC_DIGEST_ANNOTATION } from '../estargz/types';
import type { TOCEntry } from '../estargz/types';
import type { SourceTOC } from '../layer-index';

/** Returns the number of content chunks in a TOC: regular files with content plus `chunk` entries. */
export function countTOCChunks(entries: readonly TOCEntry[]): number {
  let count = 0;
  for (const entry of entries) {
    if (entry.type === 'chunk' || (entry.type === 'reg' && (entry.size ?? 0) > 0)) count++;
  }
  return count;
}

/**
 * Reads the TOC of a gzip layer whose blob ends in an eStargz or legacy
 * stargz footer. Returns undefined for other layers, for blobs the archive
 * gives no random access to, and for a footer whose TOC cannot be read: such
 * a blob is still an ordinary tar.gz, so the ingest goes on without a TOC.
 */
export async function readSourceTOC(
  layer: ArchiveLayer,
  signal?: AbortSignal,
): Promise<SourceTOC | undefined> {
  if (layer.compression !== 'gzip' || layer.blobSource === undefined) return undefined;
  let info;
  try {
    info = await openEStargz(layer.blobSource(), { signal });
  } catch (error) {
    // A missing footer (NotEStargzError) and a damaged TOC both raise coded errors.
    if (isAbortError(error) || !(error instanceof CodedError)) throw error;
    return undefined;
  }
  const annotated = layer.annotations?.[TOC_DIGEST_ANNOTATION];
  return {
    tocDigest: info.tocDigest,
    ...(annotated !== undefined ? { annotatedTOCDigest: annotated as Digest } : {}),
    legacy: info.legacy,
    tocOffset: info.tocOffset,
    chunkCount: countTOCChunks(info.toc.entries),
    entries: info.toc.entries,
  };
}
