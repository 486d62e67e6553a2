import { expect, test } from '@playwright/test';
import { createHash } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { collectBytes } from '../../lib/core/bytes';
import { InvalidInputError, isAbortError } from '../../lib/core/errors';
import { buildLayer } from '../../lib/core/estargz/build';
import type { BuildOptions, BuildResult, TarEventSource } from '../../lib/core/estargz/build';
import { openEStargz } from '../../lib/core/estargz/reader';
import type { TOCEntry } from '../../lib/core/estargz/types';
import { verifyEStargz } from '../../lib/core/estargz/verify';
import type { TarEvent } from '../../lib/core/tar/entry';
import { writeTar } from '../../lib/core/tar/writer';
import type { TarMember } from '../../lib/core/tar/writer';
import {
  MAKE_LAYERS_PY,
  estargzVerifier,
  extractTree,
  fileSource,
  fixtureLayers,
  gnuListing,
  hasTool,
  pythonListing,
  run,
  runStatus,
  tarEvents,
  tempDir,
  treeSnapshot,
  writeStream,
} from './helpers';

const CHUNK = 4096;
const OWNER = { uid: 0, gid: 0, uname: 'root', gname: 'root', mtime: 1700000000 };

/** Builds an eStargz layer into a file and returns the file and the result. */
async function buildToFile(source: TarEventSource, options: BuildOptions = {}) {
  const path = join(tempDir('estargz'), 'layer.esgz');
  const { stream, result } = buildLayer(source, options);
  await writeStream(path, stream);
  return { path, result: await result };
}

function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

async function tocOf(path: string): Promise<TOCEntry[]> {
  const source = await fileSource(path);
  try {
    return (await openEStargz(source)).toc.entries;
  } finally {
    await source.close();
  }
}

const verifier = estargzVerifier();
const NO_VERIFIER = 'Go or the Debian estargz library (golang-github-containerd-stargz-snapshotter-dev) is not installed';

/** Checks a built layer with the Go library, our verifier and the result's digests. */
async function expectValidLayer(path: string, result: BuildResult) {
  const blob = readFileSync(path);
  expect(result.digest).toBe(`sha256:${sha256Hex(blob)}`);
  expect(result.size).toBe(blob.length);
  const tar = gunzipSync(blob);
  expect(result.diffID).toBe(`sha256:${sha256Hex(tar)}`);
  expect(result.uncompressedSize).toBe(tar.length);
  const source = await fileSource(path);
  try {
    const verified = await verifyEStargz(source, { tocDigest: result.tocDigest });
    expect(verified.tocOffset).toBe(result.tocOffset);
  } finally {
    await source.close();
  }
  if (verifier) run(verifier, ['-toc-digest', result.tocDigest, path]);
}

/** Checks that GNU tar and Python list, and GNU tar extracts, the same as from the original. */
function expectSameContent(original: string, converted: string, implicitDirectories?: string[]) {
  expect(pythonListing(converted)).toEqual(pythonListing(original));
  expect(gnuListing(converted)).toEqual(gnuListing(original));
  const tree = (archive: string) => treeSnapshot(extractTree(archive), { implicitDirectories });
  expect(tree(converted)).toEqual(tree(original));
}

/** Directories of the edge-case layer that have no entry of their own. */
const EDGE_IMPLICIT_DIRECTORIES = ['orphan', 'orphan/deep'];

function edgeCaseLayer(): string {
  const dir = tempDir('edge-layer');
  run('python3', [MAKE_LAYERS_PY, dir, String(CHUNK)]);
  return join(dir, 'edge-cases.tar');
}

test.describe('estargz.buildLayer on fixture layers', () => {
  for (const layer of fixtureLayers()) {
    test(`should convert ${layer.label} faithfully`, async () => {
      test.skip(!hasTool('python3'), 'python3 is not installed');
      test.skip(!verifier, NO_VERIFIER);
      const { path, result } = await buildToFile(tarEvents(layer.path)());
      await expectValidLayer(path, result);
      expectSameContent(layer.path, path);
    });
  }

  test('should match the Go library byte for byte before the TOC', async () => {
    // The library-built fixture shares its uncompressed stream with ours up to the TOC
    // JSON, whose offsets differ because the two deflate implementations differ.
    const [library] = fixtureLayers().filter((l) => l.label.startsWith('debian-tiny/tiny-estargz'));
    const [plain] = fixtureLayers().filter((l) => l.label.startsWith('debian-tiny/tiny.docker'));
    const { path } = await buildToFile(tarEvents(plain.path)());
    const ours = gunzipSync(readFileSync(path));
    const theirs = gunzipSync(readFileSync(library.path));
    const tocAt = (tar: Buffer) => tar.indexOf('stargz.index.json\u0000');
    expect(tocAt(ours)).toBe(tocAt(theirs));
    expect(ours.subarray(0, tocAt(ours) + 512).equals(theirs.subarray(0, tocAt(theirs) + 512))).toBe(true);
    const withoutOffsets = (tar: Buffer) =>
      tar.subarray(tocAt(tar) + 512).toString('utf8').replace(/"offset": \d+/g, '"offset": N');
    expect(withoutOffsets(ours)).toBe(withoutOffsets(theirs));
  });
});

test.describe('estargz.buildLayer on edge cases', () => {
  test.skip(!hasTool('python3'), 'python3 makes the edge-case layer');

  test('should keep every entry and its metadata', async () => {
    test.skip(!verifier, NO_VERIFIER);
    const original = edgeCaseLayer();
    const { path, result } = await buildToFile(tarEvents(original)(), { chunkSize: CHUNK });
    await expectValidLayer(path, result);
    expectSameContent(original, path, EDGE_IMPLICIT_DIRECTORIES);
  });

  test('should cut chunks at chunkSize as the estargz package does', async () => {
    const { path } = await buildToFile(tarEvents(edgeCaseLayer())(), { chunkSize: CHUNK });
    const entries = await tocOf(path);
    const chunksOf = (name: string) => {
      const start = entries.findIndex((e) => e.name === name);
      const list = [entries[start]];
      while (entries[start + list.length]?.type === 'chunk') list.push(entries[start + list.length]);
      return list.map((e) => [e.type, e.chunkOffset ?? 0, e.chunkSize ?? 0]);
    };
    expect(chunksOf('a/size-0.bin')).toEqual([['reg', 0, 0]]);
    expect(chunksOf('a/size-1.bin')).toEqual([['reg', 0, 0]]);
    expect(chunksOf('a/size-4095.bin')).toEqual([['reg', 0, 0]]);
    expect(chunksOf('a/size-4096.bin')).toEqual([['reg', 0, 4096]]);
    expect(chunksOf('a/size-4097.bin')).toEqual([['reg', 0, 4096], ['chunk', 4096, 0]]);
    expect(chunksOf('a/size-8192.bin')).toEqual([['reg', 0, 4096], ['chunk', 4096, 4096]]);
    expect(chunksOf('a/size-12295.bin')).toEqual([
      ['reg', 0, 4096],
      ['chunk', 4096, 4096],
      ['chunk', 8192, 4096],
      ['chunk', 12288, 0],
    ]);
    const empty = entries.find((e) => e.name === 'a/size-0.bin')!;
    expect(empty.digest).toBe(`sha256:${sha256Hex(new Uint8Array(0))}`);
    expect(empty.offset).toBeUndefined();
    expect(empty.chunkDigest).toBeUndefined();
    const one = entries.find((e) => e.name === 'a/size-1.bin')!;
    expect(one.chunkDigest).toBe(one.digest);
  });

  test('should write TOC entries as the estargz package does', async () => {
    const { path } = await buildToFile(tarEvents(edgeCaseLayer())(), { chunkSize: CHUNK });
    const entries = await tocOf(path);
    const byName = (name: string) => entries.filter((e) => e.name === name && e.type !== 'chunk');

    expect(entries[0]).toMatchObject({ name: '.no.prefetch.landmark', type: 'reg', size: 1 });
    expect(entries.filter((e) => e.name.endsWith('landmark'))).toHaveLength(1);
    expect(byName('stargz.index.json')).toHaveLength(0);
    expect(byName('./')[0]).toEqual({ name: './', type: 'dir', modtime: '2023-11-14T22:13:20Z', mode: 0o755, userName: 'root', groupName: 'root' });
    expect(byName('a/')[0].userName).toBeUndefined();

    expect(byName('a/symlink')[0]).toMatchObject({ type: 'symlink', linkName: 'size-1.bin', mode: 0o777 });
    expect(byName('a/hardlink')[0]).toMatchObject({ type: 'hardlink', linkName: 'a/size-1.bin' });
    expect(byName('a/hardlink')[0].size).toBeUndefined();
    expect(byName('dev/null')[0]).toMatchObject({ type: 'char', devMajor: 1, devMinor: 3, mode: 0o666 });
    expect(byName('dev/sda')[0]).toMatchObject({ type: 'block', devMajor: 8 });
    expect(byName('dev/sda')[0].devMinor).toBeUndefined();
    expect(byName('dev/pipe')[0]).toMatchObject({ type: 'fifo', mode: 0o600 });

    expect(byName('a/xattrs')[0].xattrs).toEqual({
      'security.selinux': Buffer.from('system_u:object_r:bin_t:s0').toString('base64'),
      'user.comment': Buffer.from('hello').toString('base64'),
      'user.empty-looking': Buffer.from('0').toString('base64'),
    });
    expect(byName('a/fractional-mtime')[0].modtime).toBe('2023-11-14T22:13:20Z');
    expect(byName('a/negative-mtime')[0].modtime).toBe('1969-12-31T23:59:59Z');
    expect(byName('a/epoch-mtime')[0].modtime).toBeUndefined();
    expect(byName('a/big-ids')[0]).toMatchObject({ uid: 3000000, gid: 4000000, userName: 'u'.repeat(40) });
    expect(byName('a/setuid')[0].mode).toBe(0o4755);

    expect(byName('a/not-utf8-\ufffd\ufffd.bin')).toHaveLength(1);
    expect(byName('a/.wh.removed')[0]).toMatchObject({ type: 'reg' });
    expect(byName('opaque/.wh..wh..opq')).toHaveLength(1);
    expect(byName('a/duplicate')).toHaveLength(2);
    expect(byName('z-last')[0]).toMatchObject({ uid: 1000, gid: 1000, userName: 'app', groupName: 'app' });
  });

  test('should give the same bytes for the same input and options', async () => {
    const layer = edgeCaseLayer();
    const first = await buildToFile(tarEvents(layer, 64 * 1024)(), { chunkSize: CHUNK });
    const second = await buildToFile(tarEvents(layer, 777)(), { chunkSize: CHUNK });
    expect(readFileSync(second.path).equals(readFileSync(first.path))).toBe(true);
    expect(second.result).toEqual(first.result);
    const other = await buildToFile(tarEvents(layer)(), { chunkSize: CHUNK, level: 1 });
    expect(other.result.digest).not.toBe(first.result.digest);
    await expectValidLayer(other.path, other.result);
  });
});

/** Makes a folder tree and archives it with GNU tar in `format` (gnu or posix). */
function gnuTarLayer(format: 'gnu' | 'posix'): string {
  const dir = tempDir(`gnu-${format}`);
  const root = join(dir, 'root');
  const deep = join(root, 'd'.repeat(60), 'e'.repeat(60));
  mkdirSync(deep, { recursive: true });
  writeFileSync(join(deep, `${'f'.repeat(120)}.txt`), 'long name\n');
  writeFileSync(join(root, 'big.bin'), Buffer.alloc(3 * CHUNK + 5, 7));
  linkSync(join(root, 'big.bin'), join(root, 'big-link'));
  symlinkSync(`../${'s'.repeat(150)}`, join(root, 'long-symlink'));
  writeFileSync(join(root, 'ünïcödé.txt'), 'utf-8 name\n');
  const path = join(dir, `${format}.tar`);
  run('tar', [`--format=${format}`, '--sort=name', '--owner=0', '--group=0', '-C', root, '-cf', path, '.']);
  return path;
}

test.describe('estargz.buildLayer on GNU tar archives', () => {
  for (const format of ['gnu', 'posix'] as const) {
    test(`should convert a ${format} format archive faithfully`, async () => {
      test.skip(!hasTool('python3'), 'python3 is not installed');
      test.skip(!verifier, NO_VERIFIER);
      const original = gnuTarLayer(format);
      const { path, result } = await buildToFile(tarEvents(original)(), { chunkSize: CHUNK });
      await expectValidLayer(path, result);
      expectSameContent(original, path);
    });
  }
});

test.describe('estargz.buildLayer on large layers', () => {
  test('should handle a TOC and header runs past 1 MiB', async () => {
    test.skip(!verifier, NO_VERIFIER);
    const members: TarMember[] = [
      { header: { ...OWNER, path: 'first.bin', type: 'file', mode: 0o644, size: 3 }, content: Uint8Array.of(1, 2, 3) },
    ];
    for (let i = 0; i < 9000; i++) {
      const path = `links/${String(i).padStart(5, '0')}-${'n'.repeat(40)}`;
      members.push({ header: { ...OWNER, path, type: 'symlink', mode: 0o777, size: 0, linkname: '../first.bin' } });
    }
    members.push({ header: { ...OWNER, path: 'last.bin', type: 'file', mode: 0o644, size: 5 }, content: Uint8Array.of(5, 4, 3, 2, 1) });
    const original = join(tempDir('large'), 'large.tar');
    await writeStream(original, writeTar(members));
    const { path, result } = await buildToFile(tarEvents(original)());
    await expectValidLayer(path, result);
    const tocAt = gunzipSync(readFileSync(path)).indexOf('stargz.index.json\u0000');
    expect(readFileSync(path).length - result.tocOffset).toBeGreaterThan(51);
    expect(gunzipSync(readFileSync(path)).length - tocAt).toBeGreaterThan(1 << 20);
    expect(gnuListing(path)).toEqual(gnuListing(original));
  });
});

test.describe('estargz.buildLayer with prioritized files', () => {
  test.skip(!hasTool('python3'), 'python3 makes the edge-case layer');
  const PRIORITIZED = ['/a/hardlink', './orphan/deep/file', 'dev/null', '../a/size-4097.bin'];

  test('should move prioritized files, their parents and link targets first', async () => {
    const layer = edgeCaseLayer();
    const { path, result } = await buildToFile(tarEvents(layer), {
      chunkSize: CHUNK,
      prioritizedFiles: PRIORITIZED,
    });
    const names = (await tocOf(path)).filter((e) => e.type !== 'chunk').map((e) => e.name);
    expect(names.slice(0, 10)).toEqual([
      './',
      'a/',
      'a/size-1.bin',
      'a/hardlink',
      'orphan/deep/file',
      'dev/',
      'dev/null',
      'a/size-4097.bin',
      '.prefetch.landmark',
      'a/size-0.bin',
    ]);
    expect(names.filter((name) => name === 'a/size-1.bin')).toHaveLength(1);
    expect(result.missedPrioritizedFiles).toEqual([]);
    await expectValidLayer(path, result);
    // GNU tar sets a directory's mtime when the entries leave it, and the
    // prioritized entries leave and re-enter `a/` and `dev/`.
    const tree = (archive: string) => treeSnapshot(extractTree(archive), { directoryMtimes: false });
    expect(tree(path)).toEqual(tree(layer));
  });

  test('should give the same bytes with or without a memory budget', async () => {
    const layer = edgeCaseLayer();
    const options = { chunkSize: CHUNK, prioritizedFiles: PRIORITIZED.slice().reverse() };
    const kept = await buildToFile(tarEvents(layer), options);
    const passes = await buildToFile(tarEvents(layer), { ...options, maxBufferedBytes: 0 });
    expect(readFileSync(passes.path).equals(readFileSync(kept.path))).toBe(true);
  });

  test('should reject or report prioritized files that are missing', async () => {
    const layer = edgeCaseLayer();
    const options = { prioritizedFiles: ['a/size-1.bin', 'no/such/file'] };
    const failed = buildLayer(tarEvents(layer), options);
    await expect(collectBytes(failed.stream)).rejects.toBeInstanceOf(InvalidInputError);
    await expect(failed.result).rejects.toThrow('prioritized file no/such/file is not in the layer');
    const { result } = await buildToFile(tarEvents(layer), { ...options, allowMissingPrioritized: true });
    expect(result.missedPrioritizedFiles).toEqual(['no/such/file']);
  });

  test('should need a source it can read again', async () => {
    const { stream } = buildLayer(tarEvents(edgeCaseLayer())(), { prioritizedFiles: ['a/'] });
    await expect(collectBytes(stream)).rejects.toThrow('needs a source that can be read again');
  });
});

test.describe('estargz.buildLayer errors', () => {
  const entry = (path: string, size: number): TarEvent => ({
    type: 'entry',
    entry: {
      path, type: 'file', typeflag: '0', mode: 0o644, uid: 0, gid: 0, uname: '', gname: '',
      mtime: 1, size, headerOffset: 0, dataOffset: 512,
    },
  });

  test('should reject content that ends early', async () => {
    const events: TarEvent[] = [entry('short', 10), { type: 'data', offset: 512, bytes: new Uint8Array(4) }, { type: 'end', offset: 1024 }];
    const { stream, result } = buildLayer((async function* () { yield* events; })());
    await expect(collectBytes(stream)).rejects.toThrow('content of short ended after 4 of 10 bytes');
    await expect(result).rejects.toBeInstanceOf(InvalidInputError);
  });

  test('should stop with AbortError when the signal fires', async () => {
    const controller = new AbortController();
    async function* events(): AsyncGenerator<TarEvent> {
      yield entry('big', 1 << 20);
      for (let i = 0; i < 16; i++) {
        if (i === 4) controller.abort();
        yield { type: 'data', offset: 512 + i * 65536, bytes: new Uint8Array(65536) };
      }
    }
    const { stream, result } = buildLayer(events(), { signal: controller.signal });
    const error = await collectBytes(stream).catch((e) => e);
    expect(isAbortError(error)).toBe(true);
    expect(isAbortError(await result.catch((e) => e))).toBe(true);
  });

  test('should reject invalid options', async () => {
    const empty = (async function* (): AsyncGenerator<TarEvent> {})();
    await expect(collectBytes(buildLayer(empty, { chunkSize: 0 }).stream)).rejects.toBeInstanceOf(InvalidInputError);
    await expect(collectBytes(buildLayer(empty, { level: 10 as 9 }).stream)).rejects.toBeInstanceOf(InvalidInputError);
  });

  test('should report progress up to the blob size', async () => {
    const updates: number[] = [];
    const layer = fixtureLayers()[0];
    const { result } = await buildToFile(tarEvents(layer.path)(), {
      onProgress: (progress) => updates.push(progress.bytesWritten),
    });
    expect(updates.length).toBeGreaterThan(0);
    expect(updates[updates.length - 1]).toBe(result.size);
    expect(updates).toEqual([...updates].sort((a, b) => a - b));
  });

  test('should let the estargz library reject a wrong TOC digest', async () => {
    test.skip(!verifier, 'Go or the Debian estargz library is not installed');
    const { path, result } = await buildToFile(tarEvents(fixtureLayers()[0].path)());
    const status = runStatus(verifier!, ['-toc-digest', `sha256:${'0'.repeat(64)}`, path]);
    expect(status.status).toBe(1);
    expect(status.stderr).toContain('invalid TOC JSON');
    expect(runStatus(verifier!, ['-toc-digest', result.tocDigest, path]).status).toBe(0);
  });
});
