import { expect, test } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { collectBytes } from '../../lib/core/bytes';
import { BLOB_CHUNK_SIZE_BYTES, readBlob } from '../../lib/core/convert/blob-chunks';
import { convertStoredLayer } from '../../lib/core/convert/estargz';
import { ChunkNotFoundError, DigestMismatchError } from '../../lib/core/errors';
import { buildLayer } from '../../lib/core/estargz/build';
import { PREFETCH_LANDMARK } from '../../lib/core/estargz/types';
import { readStoredTOC, verifyStoredLayer } from '../../lib/browser/estargz-session';
import { storedBlobSource } from '../../lib/browser/stored-blob-source';
import { estargzVerifier, tarEvents, tempDir } from '../estargz/helpers';
import { repoPath } from '../fixtures/ingest/ingest-run';
import { SAMPLE, extractedLayers, ingestedImage } from './convert-fixtures';

const ARCHIVES = [
  SAMPLE,
  repoPath('test/fixtures/archives/debian-tiny/tiny.oci.tar'),
  repoPath('test/fixtures/archives/debian-tiny/tiny-estargz.oci.tar'),
];

function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

test.describe('convertStoredLayer', () => {
  for (const archive of ARCHIVES) {
    const name = archive.slice(archive.lastIndexOf('/') + 1);
    test(`should build the archive layer's bytes from stored chunks: ${name}`, async () => {
      const { store, record } = await ingestedImage(archive);
      const files = extractedLayers(archive);
      for (const [i, file] of files.entries()) {
        const layer = await convertStoredLayer(record, i, store, { level: 1 });
        const stored = await collectBytes(readBlob(layer.chunks, store));
        const reference = buildLayer(tarEvents(file)(), { level: 1 });
        const expected = await collectBytes(reference.stream);
        expect(stored.length, `layer ${i} size`).toBe(expected.length);
        expect(sha256Hex(stored), `layer ${i} bytes`).toBe(sha256Hex(expected));
        expect(layer.digest).toBe(`sha256:${sha256Hex(stored)}`);
        expect(layer.size).toBe(stored.length);
        expect(layer.tocDigest).toBe((await reference.result).tocDigest);
        expect(layer.diffID).toBe((await reference.result).diffID);
        expect(layer.chunks.every((chunk, c) => chunk.offset === c * BLOB_CHUNK_SIZE_BYTES)).toBe(true);
      }
    });
  }

  test('should prioritize the files each layer has', async () => {
    const { store, record } = await ingestedImage(SAMPLE);
    const prioritizedFiles = ['etc/passwd', 'usr/share/zoneinfo/UTC', 'no/such/file'];
    const base = await convertStoredLayer(record, 0, store, { level: 1, prioritizedFiles });
    const top = await convertStoredLayer(record, 1, store, { level: 1, prioritizedFiles });
    expect(base.missedPrioritizedFiles).toEqual(['usr/share/zoneinfo/UTC', 'no/such/file']);
    expect(top.missedPrioritizedFiles).toEqual(['etc/passwd', 'no/such/file']);

    const names = (await readStoredTOC(base, store)).toc.entries.map((entry) => entry.name);
    const landmark = names.indexOf(PREFETCH_LANDMARK);
    expect(landmark).toBeGreaterThan(0);
    expect(names.slice(0, landmark).map((n) => n.replace(/^\.\//, ''))).toContain('etc/passwd');

    const verifier = estargzVerifier();
    test.skip(!verifier, 'the Go estargz checker cannot be built here');
    for (const layer of [base, top]) {
      const path = join(tempDir('convert-prioritized'), 'layer.stargz');
      writeFileSync(path, await collectBytes(readBlob(layer.chunks, store)));
      execFileSync(verifier!, ['-toc-digest', layer.tocDigest, path]);
    }
  });
});

test.describe('verifyStoredLayer', () => {
  test('should verify a stored layer and catch damage', async () => {
    const { store, record } = await ingestedImage(SAMPLE);
    const layer = await convertStoredLayer(record, 0, store, { level: 1 });
    const result = await verifyStoredLayer(layer, store);
    expect(result.tocDigest).toBe(layer.tocDigest);
    expect(result.chunkCount).toBeGreaterThan(0);

    const [first] = layer.chunks;
    const original = store.data.chunks.get(first.digest)!;
    const damaged = Uint8Array.from(original);
    damaged[100] ^= 0x01;
    store.data.chunks.set(first.digest, damaged);
    await expect(verifyStoredLayer(layer, store)).rejects.toBeInstanceOf(DigestMismatchError);
    store.data.chunks.delete(first.digest);
    await expect(verifyStoredLayer(layer, store)).rejects.toBeInstanceOf(ChunkNotFoundError);
    store.data.chunks.set(first.digest, original);
    await expect(verifyStoredLayer(layer, store)).resolves.toMatchObject({ tocDigest: layer.tocDigest });
  });

  test('should check the TOC digest the record names', async () => {
    const { store, record } = await ingestedImage(SAMPLE);
    const layer = await convertStoredLayer(record, 1, store, { level: 1 });
    const wrong = { ...layer, tocDigest: `sha256:${'0'.repeat(64)}` as typeof layer.tocDigest };
    await expect(verifyStoredLayer(wrong, store)).rejects.toBeInstanceOf(DigestMismatchError);
  });
});

test.describe('storedBlobSource', () => {
  test('should read any range like the blob itself', async () => {
    const { store, record } = await ingestedImage(SAMPLE);
    const layer = await convertStoredLayer(record, 0, store, { level: 1 });
    expect(layer.chunks.length).toBeGreaterThan(1);
    const blob = await collectBytes(readBlob(layer.chunks, store));
    const source = storedBlobSource(layer.chunks, store);
    expect(source.size).toBe(blob.length);
    const step = BLOB_CHUNK_SIZE_BYTES;
    const ranges: [number, number][] = [
      [0, 0],
      [0, 1],
      [0, step],
      [step - 1, 2],
      [step - 1, step + 2],
      [step, 1],
      [blob.length - 51, 51],
      [blob.length - 1, 10],
      [blob.length, 10],
      [3, blob.length + 100],
    ];
    for (const [offset, length] of ranges) {
      const read = await source.read(offset, length);
      const expected = blob.subarray(offset, Math.min(blob.length, offset + length));
      expect(Buffer.from(read).equals(Buffer.from(expected)), `read(${offset}, ${length})`).toBe(true);
    }
  });

  test('should report a missing chunk and then read again', async () => {
    const { store, record } = await ingestedImage(SAMPLE);
    const layer = await convertStoredLayer(record, 0, store, { level: 1 });
    const last = layer.chunks[layer.chunks.length - 1];
    const bytes = store.data.chunks.get(last.digest)!;
    store.data.chunks.delete(last.digest);
    const source = storedBlobSource(layer.chunks, store);
    await expect(source.read(last.offset, 10)).rejects.toBeInstanceOf(ChunkNotFoundError);
    store.data.chunks.set(last.digest, bytes);
    expect((await source.read(last.offset, 10)).length).toBe(Math.min(10, last.size));
  });
});
