/**
 * The merged filesystem view with hostile layer entries: names that climb
 * out of the root or spell one path several ways, and many whiteouts.
 */
import { expect, test } from '@playwright/test';
import type { TarEntry } from '../../lib/core/tar/entry';
import { mergeLayers } from '../../lib/core/fs/merge';

function entry(path: string, type: TarEntry['type'] = 'file', size = 1): TarEntry {
  return {
    path,
    type,
    typeflag: type === 'dir' ? '5' : '0',
    mode: 0o644,
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

test.describe('mergeLayers with hostile paths', () => {
  const base = [
    entry('etc/', 'dir', 0),
    entry('etc/passwd'),
    entry('etc/shadow'),
    entry('usr/bin/sh'),
  ];

  test('should keep every path inside the root', () => {
    const merged = mergeLayers([base, [entry('../../etc/passwd'), entry('/abs/file'), entry('..', 'dir', 0)]]);
    const paths = merged.entries.map((row) => row.path);
    expect(paths.filter((path) => path.split('/').includes('..'))).toEqual([]);
    expect(paths).toContain('abs/file');
    expect(merged.entries.find((row) => row.path === 'etc/passwd')?.layerIndex).toBe(1);
    expect(merged.waste[0]).toEqual({ layerIndex: 0, wastedBytes: 1, wastedFiles: 1 });
  });

  test('should treat one path spelled several ways as one', () => {
    const merged = mergeLayers([[entry('a//b'), entry('./a/./c'), entry('x/../a/d')]]);
    expect(merged.entries.map((row) => row.path)).toEqual(['a/b', 'a/c', 'a/d']);
  });

  test('should apply whiteouts written with dot segments', () => {
    const merged = mergeLayers([base, [entry('usr/./bin/.wh.sh', 'file', 0), entry('x/../etc/.wh.shadow', 'file', 0)]]);
    const paths = merged.entries.map((row) => row.path);
    expect(paths).not.toContain('usr/bin/sh');
    expect(paths).not.toContain('etc/shadow');
    expect(merged.waste[0].wastedFiles).toBe(2);
  });
});

test.describe('mergeLayers with many whiteouts', () => {
  test('should merge 20000 whiteouts over 100000 files in bounded time', () => {
    const base: TarEntry[] = [];
    for (let d = 0; d < 1000; d++) {
      base.push(entry(`d${d}/`, 'dir', 0));
      for (let f = 0; f < 100; f++) base.push(entry(`d${d}/f${f}`));
    }
    const top: TarEntry[] = [];
    for (let i = 0; i < 20_000; i++) top.push(entry(`d${i % 1000}/.wh.f${Math.floor(i / 1000)}`, 'file', 0));
    for (let d = 0; d < 500; d++) top.push(entry(`d${d}/.wh..wh..opq`, 'file', 0));

    const started = performance.now();
    const merged = mergeLayers([base, top]);
    const ms = performance.now() - started;

    // Every directory loses 20 files; the 500 opaque ones lose their other 80 too.
    expect(merged.entries).toHaveLength(1000 + 500 * 80);
    expect(merged.waste[0].wastedFiles).toBe(20_000 + 500 * 80);
    // The quadratic walk took minutes here; the page runs this on its main thread.
    expect(ms).toBeLessThan(3_000);
  });
});
