import { expect, test } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { ArchiveLayer } from '../../lib/core/archive/types';
import { bytesSource } from '../../lib/core/bytes';
import type { DiffID, Digest } from '../../lib/core/digest';
import { TOC_DIGEST_ANNOTATION } from '../../lib/core/estargz/types';
import { readSourceTOC } from '../../lib/core/ingest/source-toc';
import { FIXED_64K } from './convert-fixtures';
import { MemoryChunkStore } from '../../lib/store/memory-chunk-store';
import { ingestArchive, repoPath } from '../fixtures/ingest/ingest-run';
import { estargzVerifier } from '../estargz/helpers';

const ESTARGZ_ARCHIVE = repoPath('test/fixtures/archives/debian-tiny/tiny-estargz.oci.tar');

/** Returns the single layer blob and its manifest descriptor of an OCI archive, read with GNU tar. */
function ociLayer(archive: string) {
  const dir = mkdtempSync(join(tmpdir(), 'source-toc-'));
  execFileSync('tar', ['-xf', archive, '-C', dir]);
  const blob = (digest: string) => join(dir, 'blobs', ...digest.split(':'));
  const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8'));
  const manifest = JSON.parse(readFileSync(blob(index.manifests[0].digest), 'utf8'));
  const descriptor = manifest.layers[0] as { digest: string; annotations?: Record<string, string> };
  return { path: blob(descriptor.digest), bytes: readFileSync(blob(descriptor.digest)), descriptor };
}

/** Returns a gzip layer over `bytes` with random access, as an archive reader gives it. */
function gzipLayer(bytes: Uint8Array, annotations?: Record<string, string>): ArchiveLayer {
  return {
    index: 0,
    member: 'layer.tar.gz',
    diffID: 'sha256:0' as DiffID,
    mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
    size: bytes.length,
    compression: 'gzip',
    annotations,
    open: () => {
      throw new Error('not read in this test');
    },
    blobSource: () => bytesSource('layer.tar.gz', bytes),
  };
}

test.describe('source TOC at ingest', () => {
  test('should keep the TOC of an eStargz source layer', async () => {
    const store = new MemoryChunkStore();
    const [result] = await ingestArchive(ESTARGZ_ARCHIVE, store, { strategy: FIXED_64K, filesystem: true });
    const index = await store.getIndex(result.record.layers[0].indexDigest);
    const { descriptor, path } = ociLayer(ESTARGZ_ARCHIVE);
    const annotated = descriptor.annotations?.[TOC_DIGEST_ANNOTATION];
    expect(annotated).toMatch(/^sha256:[0-9a-f]{64}$/);
    const toc = index.sourceTOC!;
    expect(toc).toBeDefined();
    expect(toc.tocDigest).toBe(annotated);
    expect(toc.annotatedTOCDigest).toBe(annotated);
    expect(toc.legacy).toBe(false);
    expect(toc.entries.some((entry) => entry.name === 'bin/busybox' && entry.type === 'reg')).toBe(true);

    const verifier = estargzVerifier();
    test.skip(!verifier, 'the Go estargz checker cannot be built here');
    const summary = JSON.parse(execFileSync(verifier!, ['-toc-digest', toc.tocDigest, path], { encoding: 'utf8' }));
    expect(summary.tocDigest).toBe(toc.tocDigest);
    expect(toc.chunkCount).toBe(summary.chunks);
  });

  test('should record no TOC for plain layers', async () => {
    for (const archive of ['tiny.oci.tar', 'tiny.docker.tar', 'tiny-uncompressed.oci.tar']) {
      const store = new MemoryChunkStore();
      const path = repoPath(`test/fixtures/archives/debian-tiny/${archive}`);
      const [result] = await ingestArchive(path, store, { strategy: FIXED_64K, filesystem: true });
      const index = await store.getIndex(result.record.layers[0].indexDigest);
      expect(index.sourceTOC, archive).toBeUndefined();
    }
  });

  test('should not take a plain gzip blob for eStargz', async () => {
    const { bytes } = ociLayer(repoPath('test/fixtures/archives/debian-tiny/tiny.oci.tar'));
    expect(await readSourceTOC(gzipLayer(bytes))).toBeUndefined();
    const annotated = { [TOC_DIGEST_ANNOTATION]: `sha256:${'0'.repeat(64)}` };
    expect(await readSourceTOC(gzipLayer(bytes, annotated))).toBeUndefined();
    expect(await readSourceTOC(gzipLayer(gzipSync(Buffer.alloc(0))))).toBeUndefined();
  });

  test('should skip a footer whose TOC is damaged', async () => {
    const { bytes } = ociLayer(ESTARGZ_ARCHIVE);
    const damaged = Uint8Array.from(bytes);
    // The TOC member sits just before the 51-byte footer; flip a byte inside it.
    damaged[damaged.length - 51 - 40] ^= 0xff;
    expect(await readSourceTOC(gzipLayer(damaged))).toBeUndefined();
    expect(await readSourceTOC(gzipLayer(bytes))).toBeDefined();
  });

  test('should report an annotation that names another TOC digest', async () => {
    const { bytes, descriptor } = ociLayer(ESTARGZ_ARCHIVE);
    const other = `sha256:${'1'.repeat(64)}` as Digest;
    const toc = await readSourceTOC(gzipLayer(bytes, { [TOC_DIGEST_ANNOTATION]: other }));
    expect(toc?.annotatedTOCDigest).toBe(other);
    expect(toc?.tocDigest).toBe(descriptor.annotations?.[TOC_DIGEST_ANNOTATION]);
    const unannotated = await readSourceTOC(gzipLayer(bytes));
    expect(unannotated?.annotatedTOCDigest).toBeUndefined();
  });

  test('should pass an abort through', async () => {
    const { bytes } = ociLayer(ESTARGZ_ARCHIVE);
    const controller = new AbortController();
    controller.abort();
    await expect(readSourceTOC(gzipLayer(bytes), controller.signal)).rejects.toMatchObject({ name: 'AbortError' });
  });
});
