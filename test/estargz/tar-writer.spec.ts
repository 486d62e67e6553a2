import { expect, test } from '@playwright/test';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { collectBytes } from '../../lib/core/bytes';
import { InvalidInputError, SizeMismatchError } from '../../lib/core/errors';
import type { TarEntry } from '../../lib/core/tar/entry';
import { TarStreamParser, parseTarStream } from '../../lib/core/tar/reader';
import { encodeBase64 } from '../../lib/core/tar/text';
import { tarEnd, tarHeader, tarPadding, writeTar } from '../../lib/core/tar/writer';
import type { TarHeaderFields, TarMember } from '../../lib/core/tar/writer';
import { FIXTURES, LIST_TAR_PY, hasTool, run, tempDir } from './helpers';

const base = { mode: 0o644, uid: 0, gid: 0, uname: 'root', gname: 'root', mtime: 1700000000 };

function file(path: string, text: string, extra: Partial<TarHeaderFields> = {}): TarMember {
  const content = new TextEncoder().encode(text);
  return { header: { ...base, path, type: 'file', size: content.length, ...extra }, content };
}

function entry(path: string, type: TarEntry['type'], extra: Partial<TarHeaderFields> = {}): TarMember {
  return { header: { ...base, path, type, size: 0, ...extra } };
}

const rawName = Uint8Array.from([...new TextEncoder().encode('dir/raw-'), 0xff, 0xfe]);
const PAX_PATH = `dir/${'p'.repeat(120)}/${'q'.repeat(150)}`;

/** Entries that exercise every way the writer can place a field. */
const MEMBERS: TarMember[] = [
  entry('dir/', 'dir', { mode: 0o755 }),
  file('dir/plain.txt', 'plain\n'),
  file(`dir/${'d'.repeat(90)}/${'f'.repeat(60)}.txt`, 'split\n'),
  file(PAX_PATH, 'pax path\n'),
  file('dir/ünïcödé.txt', 'utf-8\n'),
  file('dir/raw-\\xff\\xfe', 'raw\n', { rawPath: encodeBase64(rawName) }),
  entry('dir/symlink', 'symlink', { mode: 0o777, linkname: 'plain.txt' }),
  entry('dir/long-symlink', 'symlink', { mode: 0o777, linkname: `../${'l'.repeat(200)}` }),
  entry('dir/utf8-symlink', 'symlink', { mode: 0o777, linkname: 'ünïcödé.txt' }),
  entry('dir/hardlink', 'hardlink', { linkname: 'dir/plain.txt' }),
  entry('dir/char', 'char', { mode: 0o666, devmajor: 1, devminor: 3 }),
  entry('dir/block', 'block', { mode: 0o660, devmajor: 8, devminor: 16 }),
  entry('dir/big-device', 'char', { devmajor: 3_000_000, devminor: 4_000_000 }),
  entry('dir/fifo', 'fifo', { mode: 0o600 }),
  file('dir/owner', 'ids\n', { uid: 3_000_000, gid: 2_097_152, uname: 'u'.repeat(40), gname: 'gröup' }),
  file('dir/fraction', 'x', { mtime: 1700000000.125 }),
  file('dir/before-epoch', 'x', { mtime: -86400 }),
  file('dir/far-future', 'x', { mtime: 2 ** 34 }),
  file('dir/setuid', 'x', { mode: 0o4755 }),
  file('dir/xattrs', 'x', {
    xattrs: {
      'user.text': encodeBase64(new TextEncoder().encode('hello')),
      'security.capability': encodeBase64(Uint8Array.of(1, 0, 0, 2, 0x80, 0, 0x20, 0)),
    },
  }),
  file('dir/records', 'x', { pax: { atime: '1700000001.5', comment: 'kept', path: 'ignored' } }),
];

async function writeArchive(members: TarMember[]): Promise<string> {
  const path = join(tempDir('tar-writer'), 'out.tar');
  writeFileSync(path, await collectBytes(writeTar(members)));
  return path;
}

function pythonEntries(path: string): Record<string, any>[] {
  return run('python3', [LIST_TAR_PY, path])
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));
}

test.describe('tar writer', () => {
  test('should write known ustar bytes, as Go archive/tar does', () => {
    // The first header of an eStargz layer that the estargz package built.
    const oci = join(FIXTURES, 'archives/debian-tiny/tiny-estargz.oci.tar');
    const dir = tempDir('known');
    run('tar', ['-xf', oci, '-C', dir]);
    const manifest = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')).manifests[0];
    const layers = JSON.parse(readFileSync(join(dir, 'blobs/sha256', manifest.digest.slice(7)), 'utf8')).layers;
    const layer = gunzipSync(readFileSync(join(dir, 'blobs/sha256', layers[0].digest.slice(7))));
    const header = tarHeader({
      path: '.no.prefetch.landmark',
      type: 'file',
      mode: 0,
      uid: 0,
      gid: 0,
      uname: '',
      gname: '',
      mtime: 0,
      size: 1,
    });
    expect(header.length).toBe(512);
    expect(Buffer.from(header).equals(layer.subarray(0, 512))).toBe(true);
  });

  test('should use PAX only when ustar cannot hold a value', () => {
    const sizes = new Map<string, number>();
    for (const member of MEMBERS) sizes.set(member.header.path, tarHeader(member.header).length);
    expect(sizes.get('dir/plain.txt')).toBe(512);
    expect(sizes.get(`dir/${'d'.repeat(90)}/${'f'.repeat(60)}.txt`)).toBe(512);
    expect(sizes.get('dir/symlink')).toBe(512);
    expect(sizes.get('dir/big-device')).toBe(512);
    expect(sizes.get('dir/setuid')).toBe(512);
    expect(sizes.get(PAX_PATH)).toBe(1536);
    expect(sizes.get('dir/ünïcödé.txt')).toBe(1536);
    expect(sizes.get('dir/fraction')).toBe(1536);
    expect(sizes.get('dir/owner')).toBe(1536);
  });

  test('should move sizes past 8 GiB into PAX', () => {
    const size = 2 ** 34 + 3;
    const header = tarHeader({ ...base, path: 'huge.img', type: 'file', size });
    expect(header.length).toBe(1536);
    const text = Buffer.from(header).toString('latin1');
    expect(text).toContain(`size=${size}\n`);
    // The ustar size field of the last block is zero; PAX carries the value.
    expect(text.slice(1024 + 124, 1024 + 136)).toBe('00000000000\u0000');
    const parser = new TarStreamParser({ name: 'huge' });
    const [event] = parser.push(header);
    expect(event.type === 'entry' && event.entry.size).toBe(size);
  });

  test('should give the same bytes for the same metadata', async () => {
    const first = await collectBytes(writeTar(MEMBERS));
    const reordered = MEMBERS.map((member) => ({
      ...member,
      header: {
        ...member.header,
        xattrs: member.header.xattrs && Object.fromEntries(Object.entries(member.header.xattrs).reverse()),
      },
    }));
    const second = await collectBytes(writeTar(reordered));
    expect(Buffer.from(first).equals(Buffer.from(second))).toBe(true);
    expect(first.length % 512).toBe(0);
  });

  async function* bytesStream(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
    yield bytes;
  }

  test('should read back with the project tar parser', async () => {
    const bytes = await collectBytes(writeTar(MEMBERS));
    const parsed: TarEntry[] = [];
    for await (const event of parseTarStream(bytesStream(bytes))) {
      if (event.type === 'entry') parsed.push(event.entry);
    }
    expect(parsed.map((e) => e.path)).toEqual(MEMBERS.map((m) => m.header.path));
    parsed.forEach((got, index) => {
      const want = MEMBERS[index].header;
      const label = want.path;
      for (const key of ['type', 'mode', 'uid', 'gid', 'uname', 'gname', 'mtime', 'size'] as const) {
        expect(got[key], `${label} ${key}`).toBe(want[key]);
      }
      expect(got.linkname, `${label} linkname`).toBe(want.linkname);
      expect(got.rawPath, `${label} rawPath`).toBe(want.rawPath);
      expect(got.xattrs, `${label} xattrs`).toEqual(want.xattrs);
      if (want.type === 'char' || want.type === 'block') {
        expect([got.devmajor, got.devminor], `${label} device`).toEqual([want.devmajor, want.devminor]);
      }
    });
    expect(parsed.find((e) => e.path === 'dir/records')?.pax).toMatchObject({ atime: '1700000001.5', comment: 'kept' });
  });

  test('should read back with Python tarfile', async () => {
    test.skip(!hasTool('python3'), 'python3 is not installed');
    const listed = pythonEntries(await writeArchive(MEMBERS));
    const byName = new Map(listed.map((line) => [line.name, line]));
    expect(listed.length).toBe(MEMBERS.length);
    expect(byName.get(PAX_PATH)?.sha256).toBeDefined();
    expect(byName.get('dir/ünïcödé.txt')?.size).toBe(6);
    expect(byName.get('dir/raw-\udcff\udcfe')?.size).toBe(4);
    expect(byName.get('dir/long-symlink')?.linkname).toBe(`../${'l'.repeat(200)}`);
    expect(byName.get('dir/utf8-symlink')?.linkname).toBe('ünïcödé.txt');
    expect(byName.get('dir/hardlink')).toMatchObject({ type: '1', linkname: 'dir/plain.txt' });
    expect(byName.get('dir/char')).toMatchObject({ type: '3', dev: [1, 3], mode: 0o666 });
    expect(byName.get('dir/block')).toMatchObject({ type: '4', dev: [8, 16] });
    expect(byName.get('dir/big-device')?.dev).toEqual([3_000_000, 4_000_000]);
    expect(byName.get('dir/fifo')).toMatchObject({ type: '6', mode: 0o600 });
    expect(byName.get('dir/owner')).toMatchObject({
      uid: 3_000_000,
      gid: 2_097_152,
      uname: 'u'.repeat(40),
      gname: 'gröup',
    });
    expect(byName.get('dir/fraction')?.mtime).toBe(1700000000.125);
    expect(byName.get('dir/before-epoch')?.mtime).toBe(-86400);
    expect(byName.get('dir/far-future')?.mtime).toBe(2 ** 34);
    expect(byName.get('dir/setuid')?.mode).toBe(0o4755);
    expect(byName.get('dir/xattrs')?.pax).toEqual({
      'SCHILY.xattr.security.capability': '\u0001\u0000\u0000\u0002\udc80\u0000 \u0000',
      'SCHILY.xattr.user.text': 'hello',
    });
    expect(byName.get('dir/records')?.pax).toEqual({ atime: '1700000001.5', comment: 'kept' });
  });

  test('should list and extract with GNU tar', async () => {
    const path = await writeArchive(MEMBERS.filter((m) => m.header.type !== 'char' && m.header.type !== 'block'));
    const listing = run('tar', ['--full-time', '--numeric-owner', '-tvf', path]);
    expect(listing).toContain(PAX_PATH);
    expect(listing).toContain('dir/long-symlink -> ../' + 'l'.repeat(200));
    expect(listing).toContain('3000000/2097152');
    expect(listing).toContain('2023-11-14 22:13:20.125');
    expect(listing).toContain('1969-12-31 00:00:00');
    const dir = tempDir('gnu-extract');
    run('tar', ['-xf', path, '-C', dir, '--no-same-owner']);
    expect(readFileSync(join(dir, PAX_PATH), 'utf8')).toBe('pax path\n');
    expect(readFileSync(join(dir, 'dir/hardlink'), 'utf8')).toBe('plain\n');
    expect(readFileSync(Buffer.from(`${dir}/${Buffer.from(rawName).toString('latin1')}`, 'latin1'), 'utf8')).toBe('raw\n');
  });

  test('should reject content of the wrong length', async () => {
    const short = { ...file('short', 'abc'), header: { ...file('short', 'abc').header, size: 4 } };
    await expect(collectBytes(writeTar([short]))).rejects.toBeInstanceOf(SizeMismatchError);
    const long = { ...file('long', 'abcdef'), header: { ...file('long', 'abcdef').header, size: 2 } };
    await expect(collectBytes(writeTar([long]))).rejects.toBeInstanceOf(SizeMismatchError);
  });

  test('should reject paths with NUL bytes and negative ids', () => {
    expect(() => tarHeader({ ...base, path: 'a\u0000b', type: 'file', size: 0 })).toThrow(InvalidInputError);
    expect(() => tarHeader({ ...base, path: 'a', type: 'file', size: 0, uid: -1 })).toThrow(InvalidInputError);
  });

  test('should pad content and end the archive with two zero blocks', () => {
    expect(tarPadding(0).length).toBe(0);
    expect(tarPadding(1).length).toBe(511);
    expect(tarPadding(512).length).toBe(0);
    expect(tarPadding(513).length).toBe(511);
    expect(tarEnd()).toEqual(new Uint8Array(1024));
  });
});
