import { expect, test } from '@playwright/test';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { openImageArchive } from '../../lib/core/archive/open';
import { bytesSource, collectBytes } from '../../lib/core/bytes';
import { decompress } from '../../lib/core/compression';
import type { TarEntry } from '../../lib/core/tar/entry';
import { TarStreamParser } from '../../lib/core/tar/reader';
import { decodeBase64 } from '../../lib/core/tar/text';
import { TAR_FIXTURES } from '../fixtures/make-tar-fixtures';

/** Lists a tar's members as Python's tarfile reads them, one JSON object each. */
const PYTHON_LISTING = String.raw`
import base64, io, json, sys, tarfile
data = sys.stdin.buffer.read()
out = []
with tarfile.open(fileobj=io.BytesIO(data), mode='r:') as tar:
    for m in tar:
        raw = lambda s: base64.b64encode(s.encode('utf-8', 'surrogateescape')).decode()
        out.append({
            'name': raw(m.name), 'linkname': raw(m.linkname), 'type': m.type.decode('latin-1'),
            'size': m.size, 'mode': m.mode, 'uid': m.uid, 'gid': m.gid,
            'uname': m.uname, 'gname': m.gname, 'mtime': m.mtime,
            'devmajor': m.devmajor, 'devminor': m.devminor,
            'offset': m.offset, 'offset_data': m.offset_data, 'pax': m.pax_headers,
            'xattrs': {k[len('SCHILY.xattr.'):]: raw(v) for k, v in m.pax_headers.items()
                       if k.startswith('SCHILY.xattr.')},
        })
print(json.dumps(out))
`;

interface PythonMember {
  name: string;
  linkname: string;
  type: string;
  size: number;
  mode: number;
  uid: number;
  gid: number;
  uname: string;
  gname: string;
  mtime: number;
  devmajor: number;
  devminor: number;
  offset: number;
  offset_data: number;
  pax: Record<string, string>;
  xattrs: Record<string, string>;
}

const python = spawnSync('python3', ['--version']);
const hasPython = python.status === 0;

function pythonListing(tar: Uint8Array): PythonMember[] {
  const run = spawnSync('python3', ['-c', PYTHON_LISTING], { input: tar, maxBuffer: 64 << 20 });
  if (run.status !== 0) throw new Error(`python3 failed: ${run.stderr.toString()}`);
  return JSON.parse(run.stdout.toString());
}

function ourEntries(tar: Uint8Array): TarEntry[] {
  const parser = new TarStreamParser();
  const entries: TarEntry[] = [];
  for (let at = 0; at < tar.length; at += 777) {
    for (const event of parser.push(tar.subarray(at, at + 777))) {
      if (event.type === 'entry') entries.push(event.entry);
    }
  }
  parser.finish();
  return entries;
}

const encoder = new TextEncoder();
const TYPES: Record<string, string> = {
  '0': 'file', '\0': 'file', '7': 'file', '1': 'hardlink', '2': 'symlink',
  '3': 'char', '4': 'block', '5': 'dir', '6': 'fifo',
};

/** Path bytes as Python reports them: directories lose their trailing slashes. */
function pathBytes(entry: TarEntry): number[] {
  let bytes = entry.rawPath ? decodeBase64(entry.rawPath) : encoder.encode(entry.path);
  if (entry.type === 'dir') {
    let end = bytes.length;
    while (end > 0 && bytes[end - 1] === 0x2f) end--;
    bytes = bytes.subarray(0, end);
  }
  return [...bytes];
}

function linkBytes(entry: TarEntry): number[] {
  if (entry.rawLinkname) return [...decodeBase64(entry.rawLinkname)];
  return [...encoder.encode(entry.linkname ?? '')];
}

/** Compares our entries with Python's; `offsets` is false when global PAX headers move Python's. */
function compare(label: string, tar: Uint8Array, offsets = true): void {
  const ours = ourEntries(tar);
  const theirs = pythonListing(tar);
  expect(ours.length, `${label}: entry count`).toBe(theirs.length);
  for (const [i, py] of theirs.entries()) {
    const entry = ours[i];
    const where = `${label}: ${entry.path}`;
    expect(pathBytes(entry), `${where}: path`).toEqual([...decodeBase64(py.name)]);
    expect(entry.type, `${where}: type`).toBe(TYPES[py.type]);
    if (entry.type === 'file') expect(entry.size, `${where}: size`).toBe(py.size);
    if (entry.type === 'hardlink' || entry.type === 'symlink') {
      expect(linkBytes(entry), `${where}: linkname`).toEqual([...decodeBase64(py.linkname)]);
    }
    expect(entry.mode, `${where}: mode`).toBe(py.mode & 0o7777);
    expect([entry.uid, entry.gid], `${where}: uid, gid`).toEqual([py.uid, py.gid]);
    expect([entry.uname, entry.gname], `${where}: uname, gname`).toEqual([py.uname, py.gname]);
    expect(entry.mtime, `${where}: mtime`).toBeCloseTo(py.mtime, 6);
    if (entry.type === 'char' || entry.type === 'block') {
      expect([entry.devmajor, entry.devminor], `${where}: device`).toEqual([py.devmajor, py.devminor]);
    }
    expect(entry.dataOffset, `${where}: data offset`).toBe(py.offset_data);
    if (offsets) expect(entry.headerOffset, `${where}: header offset`).toBe(py.offset);
    // xattr values may be binary, so they are compared as bytes (base64).
    const text = (pax: Record<string, string>) =>
      Object.fromEntries(Object.entries(pax).filter(([key]) => !key.startsWith('SCHILY.xattr.')));
    expect(text(entry.pax ?? {}), `${where}: pax records`).toEqual(text(py.pax));
    expect(entry.xattrs ?? {}, `${where}: xattrs`).toEqual(py.xattrs);
  }
}

const FIXTURES = new URL('../fixtures/archives/', import.meta.url);

const hasGNUTar = spawnSync('tar', ['--version']).stdout?.toString().includes('GNU tar') ?? false;

function gnuTarPaths(tar: Uint8Array): string[] {
  const run = spawnSync('tar', ['--quoting-style=literal', '-tf', '-'], { input: tar });
  if (run.status !== 0) throw new Error(`tar failed: ${run.stderr.toString()}`);
  return run.stdout.toString().split('\n').filter((line) => line !== '');
}

test.describe('TarStreamParser against GNU tar', () => {
  test.skip(!hasGNUTar, 'GNU tar is not installed');

  test('should list the same paths', () => {
    const tars: [string, Uint8Array][] = [
      ['gnu-format.tar', new Uint8Array(readFileSync(new URL('tar/gnu-format.tar', FIXTURES)))],
      ['posix-format.tar', new Uint8Array(readFileSync(new URL('tar/posix-format.tar', FIXTURES)))],
    ];
    const names = [
      'ustar-prefix', 'pax-local-global', 'gnu-long-names', 'all-types', 'star-prefix',
      'gnu-ignores-prefix', 'no-end-marker', 'trailing-zeros',
    ];
    for (const name of names) tars.push([name, TAR_FIXTURES[name]()]);
    for (const [name, tar] of tars) {
      expect(ourEntries(tar).map((e) => e.path), name).toEqual(gnuTarPaths(tar));
    }
  });
});

test.describe('TarStreamParser against Python tarfile', () => {
  test.skip(!hasPython, 'python3 is not installed');

  test('should match on GNU tar gnu and posix archives', () => {
    for (const name of ['gnu-format.tar', 'posix-format.tar']) {
      compare(name, new Uint8Array(readFileSync(new URL(`tar/${name}`, FIXTURES))));
    }
  });

  test('should match on the edge-case fixtures', () => {
    const names = [
      'ustar-prefix', 'gnu-long-names', 'base256', 'all-types', 'non-utf8-names',
      'no-end-marker', 'trailing-zeros', 'star-prefix',
    ];
    for (const name of names) compare(name, TAR_FIXTURES[name]());
    // Python counts a member's offset from its 'x' header but not from a 'g' one.
    compare('pax-local-global', TAR_FIXTURES['pax-local-global'](), false);
    // 'gnu-ignores-prefix' is left out: Python joins the prefix field even
    // under GNU magic, where GNU tar and Go's archive/tar do not.
  });

  test('should match on the layers of the real archives', async () => {
    const archives = [
      'debian-tiny/tiny.oci.tar',
      'go-containerregistry/whiteout_image.tar',
      'go-containerregistry/test_link.tar',
      'go-containerregistry/hello-world-v25.tar',
    ];
    let layers = 0;
    for (const path of archives) {
      const bytes = new Uint8Array(readFileSync(new URL(path, FIXTURES)));
      const archive = await openImageArchive(bytesSource(path, bytes));
      for (const [index] of archive.images.entries()) {
        const image = await archive.loadImage(index);
        for (const layer of image.layers) {
          const tar = await collectBytes(decompress(layer.open(), layer.compression));
          compare(`${path} layer ${layer.index}`, tar);
          layers++;
        }
      }
    }
    expect(layers).toBeGreaterThanOrEqual(7);
  });
});
