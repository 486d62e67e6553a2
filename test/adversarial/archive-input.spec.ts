/**
 * Hostile image archives: cut, bit-flipped, lying headers, broken links and
 * metadata. Each one must fail with a coded error that names the problem,
 * within a time bound, and must leave an image stored earlier intact.
 */
import { expect, test } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bytesSource } from '../../lib/core/bytes';
import { openImageArchive } from '../../lib/core/archive/open';
import { CodedError } from '../../lib/core/errors';
import type { ImageRecord } from '../../lib/core/layer-index';
import { readMemberTable } from '../../lib/core/archive/members';
import type { ChunkStore } from '../../lib/store/chunk-store';
import { FsChunkStore } from '../../lib/store/fs-chunk-store';
import { MemoryChunkStore } from '../../lib/store/memory-chunk-store';
import { base256, concat, endOfArchive, extended, file, paxRecords } from '../fixtures/make-tar-fixtures';
import { expectLosslessImage, repoPath } from '../fixtures/ingest/ingest-run';
import {
  blob,
  digestOf,
  dockerSave,
  header,
  ingestBytes,
  json,
  ociImage,
  ociLayout,
  smallLayerTar,
} from './builders';

const encoder = new TextEncoder();
const SMALL_ARCHIVE = repoPath('test/fixtures/archives/go-containerregistry/test_image_1.tar');
const INDEX = 'application/vnd.oci.image.index.v1+json';

/** Runs the ingest on `bytes` and returns what it threw, or undefined when it succeeded. */
async function ingestError(bytes: Uint8Array, store: ChunkStore = new MemoryChunkStore()): Promise<unknown> {
  try {
    await ingestBytes('hostile.tar', bytes, store);
    return undefined;
  } catch (error) {
    return error;
  }
}

/** Checks that `error` is a coded error whose message matches `pattern`. */
function expectCoded(error: unknown, pattern: RegExp, where: string): void {
  expect(error, `${where}: error class`).toBeInstanceOf(CodedError);
  expect((error as Error).message, `${where}: message`).toMatch(pattern);
}

const INDEX_LAYER = smallLayerTar(1);
const INDEX_IMAGE = ociImage(
  [blob('application/vnd.oci.image.layer.v1.tar', INDEX_LAYER)],
  [digestOf(INDEX_LAYER)],
);

/** Returns a layout whose index.json leads through `depth` nested indexes, each listing its child `width` times. */
function nested(depth: number, width: number): Uint8Array {
  let child = INDEX_IMAGE.manifest.descriptor;
  const indexes = [];
  for (let i = 0; i < depth; i++) {
    const index = blob(INDEX, json({ schemaVersion: 2, mediaType: INDEX, manifests: Array(width).fill(child) }));
    indexes.push(index);
    child = index.descriptor;
  }
  return ociLayout([...INDEX_IMAGE.blobs, ...indexes], { schemaVersion: 2, manifests: [child] });
}

/** Returns an archive whose manifest.json names `layers`, with `members` added to it. */
function withLinks(members: Uint8Array[], layers: string[]): Uint8Array {
  return dockerSave({
    layers: [{ tar: smallLayerTar(1) }],
    extraMembers: members,
    manifest: (items) => [{ ...items[0], Layers: layers }],
  });
}

test.describe('archive input: cuts and bit flips', () => {
  test('should reject the archive cut at every block boundary', async () => {
    const full = new Uint8Array(readFileSync(SMALL_ARCHIVE));
    const unexpected: string[] = [];
    for (let cut = 0; cut < full.length; cut += 512) {
      const started = performance.now();
      const error = await ingestError(full.subarray(0, cut));
      const ms = performance.now() - started;
      if (ms > 5_000) unexpected.push(`cut at ${cut}: took ${ms.toFixed(0)} ms`);
      // Cuts after the last member's padding leave a whole archive without end blocks.
      if (error === undefined && cut < 15_872) unexpected.push(`cut at ${cut}: accepted`);
      if (error !== undefined && !(error instanceof CodedError)) {
        unexpected.push(`cut at ${cut}: ${String(error)}`);
      }
    }
    expect(unexpected).toEqual([]);
  });

  test('should name the member and offset when cut mid-member', async () => {
    const full = new Uint8Array(readFileSync(SMALL_ARCHIVE));
    const error = await ingestError(full.subarray(0, 5_000));
    expectCoded(error, /unexpected end of tar at offset \d+, in the content of \S+\/layer\.tar/, 'cut');
  });

  test('should reject every bit flip inside layer content', async () => {
    const layer = smallLayerTar(4);
    const archive = dockerSave({ layers: [{ tar: layer }] });
    const table = await readMemberTable(bytesSource('flips.tar', archive));
    const member = table.get(`${digestOf(layer).slice(7)}/layer.tar`)!;
    const accepted: number[] = [];
    for (let at = member.dataOffset; at < member.dataOffset + member.size; at += 997) {
      const copy = archive.slice();
      copy[at] ^= 0x01;
      if ((await ingestError(copy)) === undefined) accepted.push(at);
    }
    expect(accepted).toEqual([]);
  });

  test('should reject bit flips in every header field of the outer tar', async () => {
    const full = new Uint8Array(readFileSync(SMALL_ARCHIVE));
    const accepted: number[] = [];
    for (let at = 0; at < 512; at++) {
      const copy = full.slice();
      copy[at] ^= 0x04;
      const error = await ingestError(copy);
      if (error === undefined) accepted.push(at);
      else expect(error).toBeInstanceOf(CodedError);
    }
    // The checksum covers all 512 bytes, so every flip must be caught.
    expect(accepted).toEqual([]);
  });
});

test.describe('archive input: lying metadata', () => {
  const LAYER = smallLayerTar(1);

  const cases: { name: string; archive: () => Uint8Array; error: RegExp }[] = [
    {
      name: 'a config with one diff_id too many',
      archive: () => dockerSave({ layers: [{ tar: LAYER }], diffIDs: (ids) => [...ids, ids[0]] }),
      error: /manifest\.json\[0\] lists 1 layers, but config \S+ has 2 diff_ids/,
    },
    {
      name: 'a sha512 diff_id',
      archive: () => dockerSave({ layers: [{ tar: LAYER }], diffIDs: () => [`sha512:${'a'.repeat(128)}`] }),
      error: /rootfs\.diff_ids\[0\]: unsupported digest algorithm sha512/,
    },
    {
      name: 'an uppercase diff_id',
      archive: () =>
        dockerSave({
          layers: [{ tar: LAYER }],
          diffIDs: (ids) => [`sha256:${ids[0].slice(7).toUpperCase()}`],
        }),
      error: /rootfs\.diff_ids\[0\]: invalid digest "sha256:[0-9A-F]{64}", expected sha256:<64 lowercase hex>/,
    },
    {
      name: 'a symlink loop as the layer',
      archive: () =>
        withLinks(
          [header({ name: 'a', typeflag: '2', linkname: 'b' }), header({ name: 'b', typeflag: '2', linkname: 'a' })],
          ['a'],
        ),
      error: /member a is a link loop/,
    },
    {
      name: 'a hard link loop as the layer',
      archive: () =>
        withLinks(
          [header({ name: 'a', typeflag: '1', linkname: 'b' }), header({ name: 'b', typeflag: '1', linkname: 'a' })],
          ['a'],
        ),
      error: /member a is a link loop/,
    },
    {
      name: 'a directory as the layer',
      archive: () =>
        withLinks([header({ name: 'd/', typeflag: '5' }), header({ name: 'a', typeflag: '2', linkname: 'd' })], ['a']),
      error: /member a is a dir, not a file/,
    },
    {
      name: 'a 100 GB member in the outer tar',
      archive: () => concat([header({ name: 'huge', size: base256(100n * 10n ** 9n, 12) }), new Uint8Array(4096)]),
      error: /unexpected end of tar at offset 4608, in the content of huge/,
    },
    {
      name: 'a negative base-256 size in the outer tar',
      archive: () => concat([header({ name: 'neg', size: base256(-5n, 12) }), endOfArchive()]),
      error: /negative size -5 in the header at offset 0/,
    },
    {
      name: 'a base-256 size past 2^53 in the outer tar',
      archive: () => concat([header({ name: 'big', size: base256(1n << 90n, 12) }), endOfArchive()]),
      error: /size field at offset 124 overflows 2\^53 - 1/,
    },
    {
      name: 'a 100 GB file inside a layer',
      archive: () =>
        dockerSave({
          layers: [{ tar: concat([header({ name: 'big', size: base256(100n * 10n ** 9n, 12) }), endOfArchive()]) }],
        }),
      error: /layer 0 \(\S+\): unexpected end of tar at offset 1536, in the content of big \(99999998976 bytes missing\)/,
    },
    {
      name: 'a 10 MB PAX record in a layer',
      archive: () =>
        dockerSave({
          layers: [
            { tar: concat([extended('x', paxRecords([['comment', 'a'.repeat(10 << 20)]])), file('f', 'x'), endOfArchive()]) },
          ],
        }),
      error: /extended header \(typeflag x\) at offset 0 is \d+ bytes, more than the 1048576-byte limit/,
    },
    {
      name: 'a 10 MB PAX record in the outer tar',
      archive: () => concat([extended('x', paxRecords([['comment', 'a'.repeat(10 << 20)]])), file('f', 'x'), endOfArchive()]),
      error: /reading hostile\.tar: extended header \(typeflag x\) at offset 0 is \d+ bytes/,
    },
    {
      name: 'a PAX length longer than the header',
      archive: () =>
        dockerSave({
          layers: [{ tar: concat([extended('x', encoder.encode('99 path=foo\n')), file('f', 'x'), endOfArchive()]) }],
        }),
      error: /invalid record length in the pax record at offset 512/,
    },
    {
      name: 'a PAX length shorter than its record',
      archive: () =>
        dockerSave({
          layers: [{ tar: concat([extended('x', encoder.encode('5 path=foo\n')), file('f', 'x'), endOfArchive()]) }],
        }),
      error: /missing newline in the pax record at offset 512/,
    },
    {
      name: 'a 2 MiB GNU long name in a layer',
      archive: () =>
        dockerSave({
          layers: [
            {
              tar: concat([
                extended('L', encoder.encode('x'.repeat(2 << 20)), { format: 'gnu' }),
                file('short', 'x', { format: 'gnu' }),
                endOfArchive(),
              ]),
            },
          ],
        }),
      error: /extended header \(typeflag L\) at offset 0 is 2097152 bytes, more than the 1048576-byte limit/,
    },
    {
      name: 'a later duplicate of the layer member with other content',
      archive: () => {
        const hex = digestOf(LAYER).slice(7);
        return dockerSave({ layers: [{ tar: LAYER }], extraMembers: [file(`${hex}/layer.tar`, smallLayerTar(2))] });
      },
      error: /layer 0 \(\S+\/layer\.tar\): uncompressed content does not match the config's diffID/,
    },
  ];

  for (const c of cases) {
    test(`should reject ${c.name}`, async () => {
      const started = performance.now();
      const error = await ingestError(c.archive());
      expectCoded(error, c.error, c.name);
      expect(performance.now() - started, `${c.name}: seconds`).toBeLessThan(10_000);
    });
  }

  test('should list an image whose manifest names missing members as unavailable', async () => {
    const missingLayer = dockerSave({ layers: [{ tar: LAYER }], manifest: (items) => [{ ...items[0], Layers: ['nope/layer.tar'] }] });
    const dangling = withLinks([header({ name: 'x/layer.tar', typeflag: '2', linkname: '../missing.tar' })], ['x/layer.tar']);
    for (const [name, bytes] of [['missing layer', missingLayer], ['dangling symlink', dangling]] as const) {
      const archive = await openImageArchive(bytesSource(`${name}.tar`, bytes));
      expect(archive.images[0].available, name).toBe(false);
      expect(archive.images[0].unavailableReason, name).toMatch(/^missing members: (nope|x)\/layer\.tar$/);
      await expect(archive.loadImage(0), name).rejects.toThrow(/is missing from the archive|missing/);
    }
  });

  test('should accept non-UTF-8 and climbing names', async () => {
    const layer = concat([
      file(new Uint8Array([0x66, 0xff, 0xfe, 0x2e, 0x74]), 'x'),
      file('../../etc/passwd', 'root'),
      file('/abs/file', 'y'),
      endOfArchive(),
    ]);
    const [result] = await ingestBytes('names.tar', dockerSave({ layers: [{ tar: layer }] }), new MemoryChunkStore());
    expect(result.record.layers).toHaveLength(1);
  });
});

test.describe('archive input: OCI index walks', () => {
  test('should reject indexes nested 1000 deep', async () => {
    const error = await openImageArchive(bytesSource('deep.tar', nested(1000, 1))).catch((e: unknown) => e);
    expectCoded(error, /index sha256:[0-9a-f]{64} nests too deep or refers to itself/, 'deep');
  });

  test('should bound the walk over indexes that repeat a child', async () => {
    // Seven levels of ten copies name 10^7 manifests in under 200 KB.
    const started = performance.now();
    const error = await openImageArchive(bytesSource('fan.tar', nested(7, 10))).catch((e: unknown) => e);
    expectCoded(error, /index\.json and its nested indexes list more than 10000 descriptors/, 'fan-out');
    expect(performance.now() - started).toBeLessThan(10_000);
  });

  test('should still list a few hundred platforms', async () => {
    const archive = await openImageArchive(bytesSource('wide.tar', nested(2, 20)));
    expect(archive.images).toHaveLength(400);
  });
});

test.describe('archive input: store stays intact', () => {
  let root: string;

  test.beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'cc-adversarial-'));
  });

  test.afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  test('should keep a good image whole after many bad ingests', async () => {
    const store = new FsChunkStore({ root });
    const base = smallLayerTar(11);
    const [good] = await ingestBytes('good.tar', dockerSave({ layers: [{ tar: base, gzip: true }] }), store);
    const record: ImageRecord = good.record;

    const flipped = dockerSave({ layers: [{ tar: base }, { tar: smallLayerTar(12) }] });
    flipped[flipped.length - 30_000] ^= 0xff;
    const bad: Uint8Array[] = [
      // Shares the good image's base layer, then fails on its second layer.
      dockerSave({ layers: [{ tar: base, gzip: true }, { tar: smallLayerTar(12) }], diffIDs: (ids) => [ids[0], digestOf(base)] }),
      flipped,
      dockerSave({ layers: [{ tar: concat([header({ name: 'big', size: base256(10n ** 11n, 12) }), endOfArchive()]) }] }),
      nested(7, 10),
    ];
    for (const [i, bytes] of bad.entries()) {
      const error = await ingestError(bytes, store);
      expect(error, `bad archive ${i}`).toBeInstanceOf(CodedError);
      await store.collectGarbage();
    }

    const stored = await store.getImage(record.key);
    await expectLosslessImage(store, stored);
    expect((await store.listImages()).map((r) => r.key)).toEqual([record.key]);
  });
});
