import { expect, test } from '@playwright/test';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bytesSource, collectBytes } from '../../lib/core/bytes';
import type { Digest } from '../../lib/core/digest';
import { DigestMismatchError, InvalidInputError } from '../../lib/core/errors';
import { buildLayer } from '../../lib/core/estargz/build';
import {
  FOOTER_SIZE_BYTES,
  LEGACY_FOOTER_SIZE_BYTES,
  estargzFooter,
  parseFooter,
} from '../../lib/core/estargz/footer';
import { cleanPath } from '../../lib/core/estargz/order';
import { NotEStargzError, openEStargz } from '../../lib/core/estargz/reader';
import { TOC_DIGEST_ANNOTATION } from '../../lib/core/estargz/types';
import type { TOCEntry } from '../../lib/core/estargz/types';
import { verifyEStargz } from '../../lib/core/estargz/verify';
import { FIXTURES, MAKE_LAYERS_PY, estargzVerifier, hasTool, run, runStatus, tarEvents, tempDir } from './helpers';

const NO_VERIFIER = 'Go or the Debian estargz library is not installed';

/** The layer blob and TOC digest annotation of the library-built fixture image. */
function libraryLayer(): { blob: Uint8Array; path: string; tocDigest: Digest } {
  const dir = tempDir('library-layer');
  run('tar', ['-xf', join(FIXTURES, 'archives/debian-tiny/tiny-estargz.oci.tar'), '-C', dir]);
  const blob = (digest: string) => join(dir, 'blobs/sha256', digest.slice('sha256:'.length));
  const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8'));
  const manifest = JSON.parse(readFileSync(blob(index.manifests[0].digest), 'utf8'));
  const layer = manifest.layers[0];
  return {
    blob: readFileSync(blob(layer.digest)),
    path: blob(layer.digest),
    tocDigest: layer.annotations[TOC_DIGEST_ANNOTATION],
  };
}

/** Returns what the Go checker prints per entry with -list, keyed by name. */
function goListing(verifier: string, path: string, tocDigest: string): Map<string, Record<string, unknown>> {
  const lines = run(verifier, ['-toc-digest', tocDigest, '-list', path]).trim().split('\n');
  lines.pop(); // the summary
  return new Map(lines.map((line) => JSON.parse(line)).map((entry) => [entry.name, entry]));
}

/** Returns our TOC entries in the Go checker's -list form: cleaned names, last entry per name. */
function ourListing(entries: TOCEntry[]): Map<string, Record<string, unknown>> {
  const out = new Map<string, Record<string, unknown>>();
  for (const entry of entries) {
    if (entry.type === 'chunk' || cleanPath(entry.name) === '') continue;
    const line: Record<string, unknown> = {
      name: cleanPath(entry.name),
      type: entry.type,
      size: entry.size ?? 0,
      mode: entry.mode ?? 0,
      uid: entry.uid ?? 0,
      gid: entry.gid ?? 0,
    };
    if (entry.linkName) line.linkName = entry.linkName;
    if (entry.modtime) line.modtime = entry.modtime;
    if (entry.devMajor) line.devMajor = entry.devMajor;
    if (entry.devMinor) line.devMinor = entry.devMinor;
    if (entry.xattrs) line.xattrs = entry.xattrs;
    if (entry.digest) line.digest = entry.digest;
    out.set(cleanPath(entry.name), line);
  }
  return out;
}

/** Expects the Go reader's view to match ours; hard links show their target's entry there. */
function expectSameView(ours: Map<string, Record<string, unknown>>, go: Map<string, Record<string, unknown>>) {
  for (const [name, entry] of ours) {
    const seen = go.get(name);
    expect(seen, `go lists ${name}`).toBeDefined();
    if (entry.type === 'hardlink') {
      const target = ours.get(cleanPath(String(entry.linkName)));
      expect(seen, `hard link ${name}`).toEqual({ ...target, name });
    } else {
      expect(seen, name).toEqual(entry);
    }
  }
  // The Go reader adds parent directories that the layer lacks.
  for (const [name, entry] of go) {
    if (!ours.has(name)) expect(entry, `implicit ${name}`).toMatchObject({ type: 'dir', mode: 0o755 });
  }
}

async function buildBlob(path: string, chunkSize?: number) {
  const { stream, result } = buildLayer(tarEvents(path)(), { chunkSize });
  const blob = await collectBytes(stream);
  return { blob, result: await result };
}

test.describe('estargz footer', () => {
  test('should write the footer bytes that the estargz package writes', () => {
    const { blob } = libraryLayer();
    const tail = blob.subarray(blob.length - FOOTER_SIZE_BYTES);
    const footer = parseFooter(tail);
    expect(footer).toEqual({ tocOffset: 0x103f4b, footerSize: 51, legacy: false });
    expect(Buffer.from(estargzFooter(0x103f4b)).equals(Buffer.from(tail))).toBe(true);
  });

  test('should parse the legacy 47-byte stargz footer', () => {
    const legacy = legacyFooter(0x1234);
    expect(legacy.length).toBe(LEGACY_FOOTER_SIZE_BYTES);
    expect(parseFooter(Uint8Array.of(9, 9, 9, 9, ...legacy))).toEqual({ tocOffset: 0x1234, footerSize: 47, legacy: true });
  });

  test('should find no footer in other bytes', () => {
    expect(parseFooter(new Uint8Array(51))).toBeUndefined();
    expect(parseFooter(new Uint8Array(10))).toBeUndefined();
    const wrongMagic = estargzFooter(5);
    wrongMagic[37] = 0x58;
    expect(parseFooter(wrongMagic)).toBeUndefined();
  });
});

/** Returns a legacy stargz footer: gzip header with FEXTRA and the bare 22-byte extra field. */
function legacyFooter(tocOffset: number): Uint8Array {
  const extra = Buffer.from(`${tocOffset.toString(16).padStart(16, '0')}STARGZ`);
  return Uint8Array.from([
    0x1f, 0x8b, 0x08, 0x04, 0, 0, 0, 0, 0, 0xff, 22, 0, ...extra,
    0x01, 0x00, 0x00, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0,
  ]);
}

test.describe('estargz reader', () => {
  test('should read a layer that the estargz library built', async () => {
    const layer = libraryLayer();
    const info = await openEStargz(bytesSource('library', layer.blob));
    expect(info.tocDigest).toBe(layer.tocDigest);
    expect(info.footerSize).toBe(51);
    expect(info.legacy).toBe(false);
    expect(info.toc.version).toBe(1);
    expect(info.toc.entries[0].name).toBe('.no.prefetch.landmark');
    const verified = await verifyEStargz(bytesSource('library', layer.blob), { tocDigest: layer.tocDigest });
    expect(verified.fileCount).toBe(7);
    expect(verified.chunkCount).toBe(7);
  });

  test('should see the same entries as the estargz library', async () => {
    const verifier = estargzVerifier();
    test.skip(!verifier, NO_VERIFIER);
    const layer = libraryLayer();
    const info = await openEStargz(bytesSource('library', layer.blob));
    expectSameView(ourListing(info.toc.entries), goListing(verifier!, layer.path, layer.tocDigest));
  });

  test('should see the same edge-case entries as the estargz library', async () => {
    const verifier = estargzVerifier();
    test.skip(!verifier, NO_VERIFIER);
    test.skip(!hasTool('python3'), 'python3 makes the edge-case layer');
    const dir = tempDir('reader-edge');
    run('python3', [MAKE_LAYERS_PY, dir, '4096']);
    const { blob, result } = await buildBlob(join(dir, 'edge-cases.tar'), 4096);
    const path = join(dir, 'edge.esgz');
    writeFileSync(path, blob);
    const info = await openEStargz(bytesSource(path, blob));
    expectSameView(ourListing(info.toc.entries), goListing(verifier!, path, result.tocDigest));
  });

  test('should report a plain gzip layer as not eStargz', async () => {
    const dir = tempDir('plain');
    run('tar', ['-xf', join(FIXTURES, 'archives/debian-tiny/tiny.oci.tar'), '-C', dir]);
    const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8'));
    const blobPath = (digest: string) => join(dir, 'blobs/sha256', digest.slice(7));
    const manifest = JSON.parse(readFileSync(blobPath(index.manifests[0].digest), 'utf8'));
    const gzipLayer = readFileSync(blobPath(manifest.layers[0].digest));
    expect(gzipLayer[0]).toBe(0x1f);
    await expect(openEStargz(bytesSource('plain.tar.gz', gzipLayer))).rejects.toBeInstanceOf(NotEStargzError);
    await expect(verifyEStargz(bytesSource('plain.tar.gz', gzipLayer))).rejects.toThrow('not eStargz');
    await expect(openEStargz(bytesSource('tiny', Uint8Array.of(1, 2, 3)))).rejects.toBeInstanceOf(NotEStargzError);
    await expect(openEStargz(bytesSource('empty', new Uint8Array(0)))).rejects.toBeInstanceOf(NotEStargzError);
  });

  test('should open and verify a legacy stargz footer', async () => {
    const layer = libraryLayer();
    const legacy = Buffer.concat([
      layer.blob.subarray(0, layer.blob.length - FOOTER_SIZE_BYTES),
      legacyFooter(0x103f4b),
    ]);
    const info = await verifyEStargz(bytesSource('legacy', legacy), { tocDigest: layer.tocDigest });
    expect(info.legacy).toBe(true);
    expect(info.footerSize).toBe(47);
    const verifier = estargzVerifier();
    if (verifier) {
      const path = join(tempDir('legacy'), 'legacy.stargz');
      writeFileSync(path, legacy);
      run(verifier, ['-toc-digest', layer.tocDigest, path]);
    }
  });

  test('should reject a wrong TOC digest', async () => {
    const layer = libraryLayer();
    const wrong = `sha256:${'1'.repeat(64)}` as Digest;
    const error = await verifyEStargz(bytesSource('library', layer.blob), { tocDigest: wrong }).catch((e) => e);
    expect(error).toBeInstanceOf(DigestMismatchError);
    expect(error.expected).toBe(wrong);
    expect(error.actual).toBe(layer.tocDigest);
  });

  test('should find damaged chunk content', async () => {
    const layer = libraryLayer();
    const info = await openEStargz(bytesSource('library', layer.blob));
    const busybox = info.toc.entries.find((e) => e.name === 'bin/busybox')!;
    // Flip one byte inside the stored deflate data of the largest file's member.
    const damaged = Uint8Array.from(layer.blob);
    damaged[busybox.offset! + 5000] ^= 0xff;
    const error = await verifyEStargz(bytesSource('damaged', damaged)).catch((e) => e);
    expect(error instanceof DigestMismatchError || error instanceof InvalidInputError).toBe(true);
    expect(String(error.message)).toContain('bin/busybox');
    const verifier = estargzVerifier();
    if (verifier) {
      const path = join(tempDir('damaged'), 'damaged.esgz');
      writeFileSync(path, damaged);
      expect(runStatus(verifier, ['-toc-digest', layer.tocDigest, path]).status).toBe(1);
    }
  });

  test('should reject a TOC member that is not gzip', async () => {
    const layer = libraryLayer();
    const damaged = Uint8Array.from(layer.blob);
    damaged[0x103f4b] = 0;
    await expect(openEStargz(bytesSource('damaged-toc', damaged))).rejects.toBeInstanceOf(InvalidInputError);
  });
});
