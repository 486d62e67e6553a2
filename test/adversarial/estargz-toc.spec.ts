/**
 * eStargz blobs whose footer or TOC lies: the reader must fail with a coded
 * error, or give up on the TOC, without inflating a gzip bomb into memory.
 */
import { expect, test } from '@playwright/test';
import { gzipSync } from 'node:zlib';
import { bytesSource, concatBytes } from '../../lib/core/bytes';
import { InvalidInputError } from '../../lib/core/errors';
import { estargzFooter } from '../../lib/core/estargz/footer';
import { gunzipRange } from '../../lib/core/estargz/inflate';
import { MAX_TOC_BYTES, openEStargz } from '../../lib/core/estargz/reader';
import { endOfArchive, file, header } from '../fixtures/make-tar-fixtures';
import { ingestBytes, blob, digestOf, ociImage, ociLayout } from './builders';
import { MemoryChunkStore } from '../../lib/store/memory-chunk-store';

const TOC_NAME = 'stargz.index.json';

/** Returns a blob shaped like eStargz: one file member, then `tocMember`, then a footer naming it. */
function estargzShaped(tocMember: Uint8Array): { blob: Uint8Array; tar: Uint8Array; tocOffset: number } {
  const first = file('a.txt', 'hello\n');
  const member = new Uint8Array(gzipSync(first));
  return {
    blob: concatBytes([member, tocMember, estargzFooter(member.length)]),
    tar: first,
    tocOffset: member.length,
  };
}

test.describe('openEStargz with a hostile TOC', () => {
  test('should reject a footer that points past the blob', async () => {
    const { blob: bytes } = estargzShaped(new Uint8Array(gzipSync(endOfArchive())));
    const lying = concatBytes([bytes.subarray(0, bytes.length - 51), estargzFooter(bytes.length * 10)]);
    await expect(openEStargz(bytesSource('lying.gz', lying))).rejects.toThrow(
      /footer names TOC offset \d+, past the end of the blob/,
    );
  });

  test('should reject a TOC member that is not gzip', async () => {
    const { blob: bytes } = estargzShaped(new TextEncoder().encode('not gzip at all, not even close'));
    const error = await openEStargz(bytesSource('garbage.gz', bytes)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as Error).message).toMatch(/^inflating garbage\.gz from offset \d+ to \d+: /);
  });

  test('should reject TOC JSON that does not parse', async () => {
    const toc = new TextEncoder().encode('{"version": 1, "entries": [');
    const member = new Uint8Array(gzipSync(concatBytes([file(TOC_NAME, toc), endOfArchive()])));
    const error = await openEStargz(bytesSource('broken.gz', estargzShaped(member).blob)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidInputError);
  });

  test('should reject a TOC larger than the limit before reading it', async () => {
    // The header alone claims the size; no content follows.
    const member = new Uint8Array(gzipSync(header({ name: TOC_NAME, size: MAX_TOC_BYTES + 1 })));
    const error = await openEStargz(bytesSource('huge.gz', estargzShaped(member).blob)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as Error).message).toContain(`more than the ${MAX_TOC_BYTES}-byte limit`);
  });
});

test.describe('gunzipRange with a gzip bomb', () => {
  test('should yield bounded pieces from a member that inflates 1000 times', async () => {
    const bomb = new Uint8Array(gzipSync(new Uint8Array(256 << 20).fill(0x20), { level: 9 }));
    expect(bomb.length).toBeLessThan(1 << 20);
    let largest = 0;
    let total = 0;
    for await (const piece of gunzipRange(bytesSource('bomb.gz', bomb), 0, bomb.length)) {
      largest = Math.max(largest, piece.length);
      total += piece.length;
    }
    expect(total).toBe(256 << 20);
    // One push of a whole 1 MiB read used to hand out all 256 MiB at once.
    expect(largest).toBeLessThanOrEqual(32 << 20);
  });
});

test.describe('ingest of an eStargz-shaped layer with a bomb TOC', () => {
  test('should store the layer and leave the oversized TOC out', async () => {
    const size = MAX_TOC_BYTES + (1 << 20);
    const tocTar = concatBytes([header({ name: TOC_NAME, size }), new Uint8Array(size).fill(0x20), endOfArchive()]);
    const shaped = estargzShaped(new Uint8Array(gzipSync(tocTar, { level: 9 })));
    const layer = blob('application/vnd.oci.image.layer.v1.tar+gzip', shaped.blob);
    const image = ociImage([layer], [digestOf(concatBytes([shaped.tar, tocTar]))]);
    const archive = ociLayout(image.blobs, { schemaVersion: 2, manifests: [image.manifest.descriptor] });

    const store = new MemoryChunkStore();
    const [result] = await ingestBytes('toc-bomb.tar', archive, store, { filesystem: false });
    const index = await store.getIndex(result.record.layers[0].indexDigest);
    expect(index.size).toBe(shaped.tar.length + tocTar.length);
    expect(index.sourceTOC).toBeUndefined();
  });
});
