import { expect, test } from '@playwright/test';
import { InvalidTarError, UnsupportedError } from '../../lib/core/errors';
import type { TarEntry } from '../../lib/core/tar/entry';
import { TarStreamParser, parseTarStream } from '../../lib/core/tar/reader';
import type { TarRegion } from '../../lib/core/tar/reader';
import { decodeBase64 } from '../../lib/core/tar/text';
import {
  TAR_FIXTURES,
  concat,
  endOfArchive,
  extended,
  file,
  header,
  paxRecords,
} from '../fixtures/make-tar-fixtures';

interface Parsed {
  entries: TarEntry[];
  contents: Map<string, string>;
  end?: number;
  regions: TarRegion[];
}

const decoder = new TextDecoder();

/** Parses `bytes` pushed in pieces of `pieceSize` bytes. */
function parse(bytes: Uint8Array, pieceSize = bytes.length || 1): Parsed {
  const parser = new TarStreamParser({ name: 'fixture' });
  const parsed: Parsed = { entries: [], contents: new Map(), regions: [] };
  let current: TarEntry | undefined;
  const take = (events: ReturnType<TarStreamParser['push']>) => {
    for (const event of events) {
      if (event.type === 'entry') {
        current = event.entry;
        parsed.entries.push(event.entry);
        parsed.contents.set(event.entry.path, '');
      } else if (event.type === 'data') {
        const text = parsed.contents.get(current!.path)!;
        parsed.contents.set(current!.path, text + decoder.decode(event.bytes));
      } else {
        parsed.end = event.offset;
      }
    }
    parsed.regions.push(...parser.regions);
  };
  for (let at = 0; at < bytes.length; at += pieceSize) {
    take(parser.push(bytes.subarray(at, at + pieceSize)));
  }
  take(parser.finish());
  return parsed;
}

function byPath(parsed: Parsed, path: string): TarEntry {
  const entry = parsed.entries.find((e) => e.path === path);
  expect(entry, `entry ${path}`).toBeDefined();
  return entry!;
}

function parseError(bytes: Uint8Array, pieceSize?: number): unknown {
  try {
    parse(bytes, pieceSize);
  } catch (error) {
    return error;
  }
  throw new Error('expected the parse to fail');
}

const PIECE_SIZES = [1, 7, 511, 512, 513, 4096];

test.describe('TarStreamParser', () => {
  test('should join the ustar prefix and name', () => {
    const parsed = parse(TAR_FIXTURES['ustar-prefix']());
    const path = 'a'.repeat(120) + '/deep/name.txt';
    expect(parsed.entries.map((e) => e.path)).toEqual([path]);
    expect(parsed.contents.get(path)).toBe('prefixed');
  });

  test('should apply local and global pax records', () => {
    const parsed = parse(TAR_FIXTURES['pax-local-global']());
    const longPath = 'd/' + 'long-é-'.repeat(30) + '.txt';
    const first = byPath(parsed, longPath);
    expect(first.mtime).toBeCloseTo(1700000000.123456789, 6);
    expect(first.uid).toBe(3000000);
    expect(first.gid).toBe(42);
    expect(first.uname).toBe('global-user');
    expect(first.gname).toBe('grüppe');
    expect(first.pax?.comment).toBe('kept');
    expect(first.pax?.mtime).toBe('1700000000.123456789');
    expect(first.xattrs?.['security.capability']).toBe('Y2Fw');
    expect([...decodeBase64(first.xattrs!['user.bin'])]).toEqual([0, 0xff, 0x10]);
    expect(parsed.contents.get(longPath)).toBe('pax content');

    const second = byPath(parsed, 'second');
    expect(second.uname).toBe('global-user');
    expect(second.uid).toBe(0);
    expect(second.xattrs).toBeUndefined();
    expect(second.pax).toEqual({ uname: 'global-user', comment: 'kept' });
  });

  test('should count pax record lengths in bytes', () => {
    // 'é' is two bytes: a length counted in characters would misparse.
    const records = paxRecords([['path', 'é'.repeat(60)]]);
    const parsed = parse(concat([extended('x', records), file('x', ''), endOfArchive()]));
    expect(parsed.entries[0].path).toBe('é'.repeat(60));
  });

  test('should read content length from a pax size record', () => {
    const content = 'twelve bytes';
    const tar = concat([
      extended('x', paxRecords([['size', String(content.length)]])),
      file('sized', content, { size: 0 }),
      file('after', 'next'),
      endOfArchive(),
    ]);
    const parsed = parse(tar);
    expect(byPath(parsed, 'sized').size).toBe(12);
    expect(parsed.contents.get('sized')).toBe(content);
    expect(parsed.contents.get('after')).toBe('next');
  });

  test('should let an empty local pax value cancel a global one', () => {
    const tar = concat([
      extended('g', paxRecords([['uname', 'global']])),
      extended('x', paxRecords([['uname', '']])),
      file('a', '', { uname: 'from-header' }),
      endOfArchive(),
    ]);
    expect(parse(tar).entries[0].uname).toBe('from-header');
  });

  test('should apply GNU long names and link targets', () => {
    const parsed = parse(TAR_FIXTURES['gnu-long-names']());
    expect(parsed.entries).toHaveLength(1);
    expect(parsed.entries[0].path).toBe('long/' + 'n'.repeat(150));
    expect(parsed.entries[0].linkname).toBe('target/' + 't'.repeat(150));
    expect(parsed.entries[0].headerOffset).toBe(0);
    expect(parsed.entries[0].dataOffset).toBe(5 * 512);
  });

  test('should read base-256 numeric fields', () => {
    const parsed = parse(TAR_FIXTURES['base256']());
    const entry = byPath(parsed, 'big');
    expect(entry.uid).toBe(2 ** 40);
    expect(entry.gid).toBe(7);
    expect(entry.mtime).toBe(-1000);
    expect(entry.size).toBe(3);
    expect(parsed.contents.get('big')).toBe('abc');
  });

  test('should read every entry type', () => {
    const parsed = parse(TAR_FIXTURES['all-types']());
    const summary = parsed.entries.map((e) => [e.path, e.type, e.typeflag, e.size]);
    expect(summary).toEqual([
      ['dir/', 'dir', '5', 0],
      ['dir/file', 'file', '0', 5],
      ['dir/hard', 'hardlink', '1', 0],
      ['dir/sym', 'symlink', '2', 0],
      ['dev/tty', 'char', '3', 0],
      ['dev/sda', 'block', '4', 0],
      ['pipe', 'fifo', '6', 0],
      ['contiguous', 'file', '7', 5],
      ['v7-file', 'file', '\0', 3],
      ['v7-dir/', 'dir', '\0', 0],
      ['etc/.wh.removed', 'file', '0', 0],
      ['opt/.wh..wh..opq', 'file', '0', 0],
    ]);

    expect(byPath(parsed, 'dir/').mode).toBe(0o755);
    expect(byPath(parsed, 'dir/file').mode).toBe(0o600);
    expect(byPath(parsed, 'dir/file').uname).toBe('root');
    expect(byPath(parsed, 'dir/file').gname).toBe('wheel');
    expect(byPath(parsed, 'dir/hard').linkname).toBe('dir/file');
    expect(byPath(parsed, 'dir/sym').linkname).toBe('../elsewhere');
    expect(byPath(parsed, 'dir/file').linkname).toBeUndefined();
    expect(byPath(parsed, 'dev/tty')).toMatchObject({ devmajor: 5, devminor: 0 });
    expect(byPath(parsed, 'dev/sda')).toMatchObject({ devmajor: 8, devminor: 1 });
    expect(byPath(parsed, 'pipe').devmajor).toBeUndefined();

    expect(byPath(parsed, 'etc/.wh.removed').whiteout).toBe('file');
    expect(byPath(parsed, 'opt/.wh..wh..opq').whiteout).toBe('opaque');
    expect(byPath(parsed, 'dir/file').whiteout).toBeUndefined();
    expect(parsed.contents.get('contiguous')).toBe('seven');
    expect(parsed.contents.get('v7-file')).toBe('old');
  });

  test('should not read content after links and directories', () => {
    // A size field on a header-only type does not announce content blocks.
    const tar = concat([
      header({ name: 'link', typeflag: '2', linkname: 'x', size: 700 }),
      file('after', 'real'),
      endOfArchive(),
    ]);
    const parsed = parse(tar);
    expect(parsed.entries.map((e) => e.path)).toEqual(['link', 'after']);
    expect(byPath(parsed, 'link').size).toBe(0);
  });

  test('should escape names that are not UTF-8', () => {
    const parsed = parse(TAR_FIXTURES['non-utf8-names']());
    const [first, link] = parsed.entries;
    expect(first.path).toBe('f\\xffo.t');
    expect([...decodeBase64(first.rawPath!)]).toEqual([0x66, 0xff, 0x6f, 0x2e, 0x74]);
    expect(link.path).toBe('link');
    expect(link.rawPath).toBeUndefined();
    expect(link.linkname).toBe('\\xc3(');
    expect([...decodeBase64(link.rawLinkname!)]).toEqual([0xc3, 0x28]);
  });

  test('should accept a stream without end-of-archive blocks', () => {
    const tar = TAR_FIXTURES['no-end-marker']();
    const parsed = parse(tar);
    expect(parsed.entries.map((e) => e.path)).toEqual(['a', 'b']);
    expect(parsed.end).toBe(tar.length);
  });

  test('should accept zeros after the end-of-archive blocks', () => {
    const tar = TAR_FIXTURES['trailing-zeros']();
    const parsed = parse(tar, 1000);
    expect(parsed.entries.map((e) => e.path)).toEqual(['a']);
    expect(parsed.end).toBe(1024);
    expect(parsed.regions.at(-1)).toEqual({ kind: 'end', offset: 1024, size: tar.length - 1024 });
  });

  test('should accept a partial block of zeros at the end', () => {
    const tar = concat([file('a', 'one'), new Uint8Array(100)]);
    expect(parse(tar).end).toBe(1024);
  });

  test('should skip GNU volume labels', () => {
    const parsed = parse(TAR_FIXTURES['volume-label']());
    expect(parsed.entries.map((e) => e.path)).toEqual(['a']);
    expect(parsed.entries[0].headerOffset).toBe(0);
    expect(parsed.entries[0].dataOffset).toBe(1024);
  });

  test('should use the star prefix and ignore the GNU one', () => {
    expect(parse(TAR_FIXTURES['star-prefix']()).entries[0].path).toBe('star/prefix/name');
    expect(parse(TAR_FIXTURES['gnu-ignores-prefix']()).entries[0].path).toBe('gnu-name');
  });

  test('should accept a signed-byte checksum', () => {
    // Old writers summed bytes as signed chars; a name byte >= 0x80 shows it.
    const block = header({ name: new Uint8Array([0x61, 0xe9]) });
    let signed = 0;
    for (let i = 0; i < 512; i++) {
      const byte = i >= 148 && i < 156 ? 0x20 : block[i];
      signed += byte < 0x80 ? byte : byte - 256;
    }
    block.set(new TextEncoder().encode(signed.toString(8).padStart(6, '0') + '\0 '), 148);
    expect(parse(concat([block, endOfArchive()])).entries).toHaveLength(1);
  });
});

test.describe('TarStreamParser errors', () => {
  test('should reject a bad header checksum at its offset', () => {
    const error = parseError(TAR_FIXTURES['bad-checksum']());
    expect(error).toBeInstanceOf(InvalidTarError);
    expect((error as InvalidTarError).offset).toBe(1024);
    expect((error as InvalidTarError).code).toBe('TAR_INVALID');
    expect((error as Error).message).toMatch(/^reading fixture: invalid header checksum at offset 1024/);
  });

  test('should reject a GNU sparse file naming path and offset', () => {
    const error = parseError(TAR_FIXTURES['gnu-sparse']());
    expect(error).toBeInstanceOf(UnsupportedError);
    expect((error as Error).message).toContain('sparse');
    expect((error as Error).message).toContain('for sparse at offset 0');
  });

  test('should reject PAX GNU.sparse records', () => {
    const error = parseError(TAR_FIXTURES['pax-sparse']());
    expect(error).toBeInstanceOf(UnsupportedError);
    expect((error as Error).message).toContain('GNU sparse file pax-sparse');
    expect((error as Error).message).toContain('at offset 0');
  });

  test('should reject an unknown typeflag', () => {
    const error = parseError(TAR_FIXTURES['unknown-typeflag']());
    expect(error).toBeInstanceOf(UnsupportedError);
    expect((error as Error).message).toContain('tar typeflag "Z" for odd at offset 0');
  });

  test('should reject negative and overflowing sizes', () => {
    const negative = parseError(TAR_FIXTURES['negative-size']());
    expect(negative).toBeInstanceOf(InvalidTarError);
    expect((negative as Error).message).toContain('negative size -5');
    const overflow = parseError(TAR_FIXTURES['overflow-size']());
    expect(overflow).toBeInstanceOf(InvalidTarError);
    expect((overflow as InvalidTarError).offset).toBe(124);
    expect((overflow as Error).message).toContain('overflows');
  });

  test('should reject a non-octal numeric field', () => {
    const block = header({ name: 'a', mode: new TextEncoder().encode('0644x\0') });
    const error = parseError(concat([block, endOfArchive()]));
    expect(error).toBeInstanceOf(InvalidTarError);
    expect((error as InvalidTarError).offset).toBe(100);
    expect((error as Error).message).toContain('invalid mode field');
  });

  test('should reject a truncated stream at the offset it ends', () => {
    const tar = concat([file('a', 'x'.repeat(600)), file('b', 'y'), endOfArchive()]);
    const cases: [number, RegExp][] = [
      [100, /in the header block at offset 0/],
      [512 + 300, /in the content of a \(300 bytes missing\)/],
      [512 + 600 + 10, /in the padding after a \(414 bytes missing\)/],
      [1536 + 511, /in the header block at offset 1536/],
      [2048, /in the content of b \(1 bytes missing\)/],
      [2049, /in the padding after b \(511 bytes missing\)/],
    ];
    for (const [length, where] of cases) {
      for (const pieceSize of [1, 512, 100000]) {
        const error = parseError(tar.subarray(0, length), pieceSize);
        expect(error, `cut at ${length}`).toBeInstanceOf(InvalidTarError);
        expect((error as InvalidTarError).offset).toBe(length);
        expect((error as Error).message).toContain(`unexpected end of tar at offset ${length}`);
        expect((error as Error).message).toMatch(where);
      }
    }
  });

  test('should reject a truncated extended header', () => {
    const tar = extended('x', paxRecords([['path', 'p'.repeat(700)]]));
    const error = parseError(tar.subarray(0, 900));
    expect(error).toBeInstanceOf(InvalidTarError);
    expect((error as InvalidTarError).offset).toBe(900);
    expect((error as Error).message).toContain('in the extended header at offset 0');
  });

  test('should reject extended headers with no entry after them', () => {
    const tar = concat([file('a', ''), extended('L', new TextEncoder().encode('x\0')), endOfArchive()]);
    const error = parseError(tar);
    expect(error).toBeInstanceOf(InvalidTarError);
    expect((error as InvalidTarError).offset).toBe(512);
    expect((error as Error).message).toContain('extended header at offset 512 has no entry after it');
  });

  test('should reject malformed pax records at their offset', () => {
    const records = concat([paxRecords([['path', 'ok']]), new TextEncoder().encode('99 bad=x\n')]);
    const error = parseError(concat([extended('x', records), file('a', ''), endOfArchive()]));
    expect(error).toBeInstanceOf(InvalidTarError);
    expect((error as InvalidTarError).offset).toBe(512 + '11 path=ok\n'.length);
    expect((error as Error).message).toContain('invalid record length');
  });

  test('should reject a pax size that is not a number', () => {
    const tar = concat([extended('x', paxRecords([['size', '-3']])), file('a', ''), endOfArchive()]);
    const error = parseError(tar);
    expect(error).toBeInstanceOf(InvalidTarError);
    expect((error as Error).message).toContain('invalid pax size "-3" for a at offset 0');
  });

  test('should keep throwing the first error', () => {
    const parser = new TarStreamParser();
    const tar = TAR_FIXTURES['bad-checksum']();
    expect(() => parser.push(tar)).toThrow(InvalidTarError);
    expect(() => parser.push(new Uint8Array(512))).toThrow(/invalid header checksum at offset 1024/);
  });

  test('should refuse push after finish', () => {
    const parser = new TarStreamParser();
    parser.finish();
    expect(() => parser.push(new Uint8Array(1))).toThrow(/called after finish/);
  });
});

test.describe('TarStreamParser pieces and regions', () => {
  const sample = () =>
    concat([
      TAR_FIXTURES['pax-local-global']().subarray(0, -1024),
      file('big', 'z'.repeat(3000)),
      header({ name: 'empty-dir/', typeflag: '5' }),
      file('exact', 'e'.repeat(1024)),
      endOfArchive(),
    ]);

  test('should give the same result for any piece size', () => {
    const tar = sample();
    const whole = parse(tar);
    for (const pieceSize of PIECE_SIZES) {
      const pieces = parse(tar, pieceSize);
      expect(pieces.entries, `piece size ${pieceSize}`).toEqual(whole.entries);
      expect(pieces.contents).toEqual(whole.contents);
      expect(pieces.regions).toEqual(whole.regions);
      expect(pieces.end).toBe(whole.end);
    }
  });

  test('should cover the stream with regions in order', () => {
    const tar = sample();
    const { regions, entries } = parse(tar, 333);
    let at = 0;
    for (const region of regions) {
      expect(region.offset).toBe(at);
      expect(region.size).toBeGreaterThan(0);
      at += region.size;
    }
    expect(at).toBe(tar.length);
    const big = entries.find((e) => e.path === 'big')!;
    const exact = entries.find((e) => e.path === 'exact')!;
    expect(regions).toContainEqual({ kind: 'data', offset: big.dataOffset, size: 3000 });
    expect(regions).toContainEqual({ kind: 'padding', offset: big.dataOffset + 3000, size: 72 });
    expect(regions).toContainEqual({ kind: 'data', offset: exact.dataOffset, size: 1024 });
    expect(regions.filter((r) => r.kind === 'header')).toHaveLength(entries.length);
    expect(regions[0]).toEqual({ kind: 'header', offset: 0, size: entries[0].dataOffset });
    expect(regions.at(-1)).toEqual({ kind: 'end', offset: tar.length - 1024, size: 1024 });
  });

  test('should report region starts inside or at the end of each piece', () => {
    const tar = sample();
    const parser = new TarStreamParser();
    const starts: number[] = [];
    for (let at = 0; at < tar.length; at += 512) {
      parser.push(tar.subarray(at, at + 512));
      for (const start of parser.regionStarts) {
        expect(start).toBeGreaterThan(at);
        expect(start).toBeLessThanOrEqual(at + 512);
        starts.push(start);
      }
    }
    parser.finish();
    const whole = parse(tar).regions;
    expect(starts).toEqual(whole.slice(0, -1).map((r) => r.offset + r.size));
  });

  test('should return content as subarrays of the pushed pieces', () => {
    const tar = sample();
    const parser = new TarStreamParser();
    let total = 0;
    for (let at = 0; at < tar.length; at += 700) {
      const piece = tar.slice(at, at + 700);
      for (const event of parser.push(piece)) {
        if (event.type !== 'data') continue;
        expect(event.bytes.buffer).toBe(piece.buffer);
        expect(event.bytes.byteOffset).toBe(event.offset - at);
        total += event.bytes.length;
      }
    }
    parser.finish();
    const { entries } = parse(tar);
    expect(total).toBe(entries.reduce((n, e) => n + e.size, 0));
  });
});

test.describe('parseTarStream', () => {
  async function* pieces(bytes: Uint8Array, size: number) {
    for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
  }

  test('should yield the same events as the push parser', async () => {
    const tar = TAR_FIXTURES['all-types']();
    const events = [];
    for await (const event of parseTarStream(pieces(tar, 100))) events.push(event);
    const parser = new TarStreamParser();
    const expected = [...parser.push(tar), ...parser.finish()];
    expect(events.filter((e) => e.type !== 'data')).toEqual(
      expected.filter((e) => e.type !== 'data'),
    );
    expect(events.at(-1)).toEqual({ type: 'end', offset: tar.length - 1024 });
  });

  test('should stop with AbortError when the signal aborts', async () => {
    const controller = new AbortController();
    const tar = TAR_FIXTURES['all-types']();
    const run = async () => {
      for await (const event of parseTarStream(pieces(tar, 512), { signal: controller.signal })) {
        if (event.type === 'entry') controller.abort();
      }
    };
    await expect(run()).rejects.toMatchObject({ name: 'AbortError' });
  });

  test('should name the stream in errors', async () => {
    const run = async () => {
      const tar = TAR_FIXTURES['bad-checksum']();
      for await (const _ of parseTarStream(pieces(tar, 512), { name: 'layer 3' })) void _;
    };
    await expect(run()).rejects.toThrow(/^reading layer 3: invalid header checksum at offset 1024/);
  });
});
