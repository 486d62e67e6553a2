import { expect, test } from '@playwright/test';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createCutter } from '../../lib/core/chunk/cutter';
import { GEAR_HIGH, GEAR_LOW } from '../../lib/core/chunk/gear-table';
import type { StrategyParams } from '../../lib/core/chunk/strategy';

const FIXTURES = new URL('../fixtures/fastcdc/', import.meta.url);
const jpg = new Uint8Array(readFileSync(new URL('SekienAkashita.jpg', FIXTURES)));
const vectors = JSON.parse(
  readFileSync(new URL('vectors.json', FIXTURES), 'utf8'),
) as {
  sha256: string;
  cases: { min: number; avg: number; max: number; offsets: number[]; lengths: number[] }[];
  masks_by_log2_size: Record<string, string>;
};

type Sizes = { min: number; avg: number; max: number };

function contentDefined(sizes: Sizes): StrategyParams {
  return { name: 'content-defined', ...sizes };
}

/** Feeds `data` to a new cutter in pieces of the given sizes, cycling through them. */
function cutInPieces(data: Uint8Array, sizes: Sizes, pieceSizes: number[]): number[] {
  const cutter = createCutter(contentDefined(sizes), { filesystem: false });
  const cuts: number[] = [];
  let previous = 0;
  let at = 0;
  for (let n = 0; at < data.length; n++) {
    const size = pieceSizes[n % pieceSizes.length];
    const piece = data.subarray(at, at + size);
    for (const cut of cutter.push(piece)) {
      // A cut may fall one byte before the piece, never earlier.
      expect(cut).toBeGreaterThan(previous);
      expect(cut).toBeGreaterThanOrEqual(at - 1);
      expect(cut).toBeLessThanOrEqual(at + piece.length);
      cuts.push(cut);
      previous = cut;
    }
    at += piece.length;
  }
  cuts.push(...cutter.finish());
  return cuts;
}

function cutWhole(data: Uint8Array, sizes: Sizes): number[] {
  return cutInPieces(data, sizes, [Math.max(1, data.length)]);
}

/** Returns deterministic pseudo-random bytes (xorshift32). */
function randomBytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let state = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    out[i] = state & 0xff;
  }
  return out;
}

function randomSizes(count: number, seed: number, maxSize: number): number[] {
  const noise = randomBytes(count * 4, seed);
  const view = new DataView(noise.buffer);
  return Array.from({ length: count }, (_, i) => 1 + (view.getUint32(i * 4) % maxSize));
}

// An independent whole-buffer model of the fastcdc crate's v2020 `cut`, in
// BigInt, with the gear table from node:crypto MD5 and the masks from
// vectors.json, to check the streaming cutter on inputs without published cuts.
const MASK_64 = (1n << 64n) - 1n;
const referenceGear = Array.from({ length: 256 }, (_, i) =>
  createHash('md5').update(Buffer.alloc(64, i)).digest().readBigUInt64BE(0),
);
const referenceGearShifted = referenceGear.map((g) => (g << 1n) & MASK_64);

function referenceMask(log2: number): bigint {
  return BigInt(vectors.masks_by_log2_size[String(log2)]);
}

/** Returns the length of the chunk at `start`, as the crate's `cut` does. */
function referenceChunkLength(data: Uint8Array, start: number, sizes: Sizes): number {
  let remaining = data.length - start;
  if (remaining <= sizes.min) return remaining;
  let center = sizes.avg;
  if (remaining > sizes.max) remaining = sizes.max;
  else if (remaining < center) center = remaining;
  const bits = Math.round(Math.log2(sizes.avg));
  const strict = referenceMask(bits + 1);
  const loose = referenceMask(bits - 1);
  let hash = 0n;
  let index = Math.floor(sizes.min / 2);
  const limits: [number, bigint][] = [
    [Math.floor(center / 2), strict],
    [Math.floor(remaining / 2), loose],
  ];
  for (const [limit, mask] of limits) {
    for (; index < limit; index++) {
      const a = index * 2;
      hash = ((hash << 2n) + referenceGearShifted[data[start + a]]) & MASK_64;
      if ((hash & (mask << 1n)) === 0n) return a;
      hash = (hash + referenceGear[data[start + a + 1]]) & MASK_64;
      if ((hash & mask) === 0n) return a + 1;
    }
  }
  return remaining;
}

function referenceCuts(data: Uint8Array, sizes: Sizes): number[] {
  const cuts: number[] = [];
  for (let at = 0; at < data.length; ) {
    at += referenceChunkLength(data, at, sizes);
    cuts.push(at);
  }
  return cuts;
}

function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function chunkDigests(data: Uint8Array, cuts: number[]): string[] {
  let start = 0;
  return cuts.map((cut) => {
    const digest = sha256Hex(data.subarray(start, cut));
    start = cut;
    return digest;
  });
}

test.describe('fastcdc', () => {
  test('should use the SekienAkashita.jpg fixture the vectors name', () => {
    expect(jpg.length).toBe(109_466);
    expect(sha256Hex(jpg)).toBe(vectors.sha256);
  });

  test('should derive the gear table from MD5', () => {
    expect(GEAR_HIGH).toHaveLength(256);
    expect(GEAR_LOW).toHaveLength(256);
    for (let i = 0; i < 256; i++) {
      const expected = referenceGear[i];
      expect(GEAR_HIGH[i], `entry ${i} high`).toBe(Number(expected >> 32n));
      expect(GEAR_LOW[i], `entry ${i} low`).toBe(Number(expected & 0xffff_ffffn));
    }
  });

  for (const vector of vectors.cases) {
    const sizes = { min: vector.min, avg: vector.avg, max: vector.max };
    const label = `${vector.min}/${vector.avg}/${vector.max}`;
    const expected = vector.offsets.map((offset, i) => offset + vector.lengths[i]);

    test(`should cut the published vector ${label} from the whole input`, () => {
      expect(cutWhole(jpg, sizes)).toEqual(expected);
    });

    test(`should cut the published vector ${label} from 1-byte pieces`, () => {
      expect(cutInPieces(jpg, sizes, [1])).toEqual(expected);
    });

    test(`should cut the published vector ${label} from random pieces`, () => {
      for (const seed of [1, 2, 3]) {
        const pieces = randomSizes(64, seed, 9000);
        expect(cutInPieces(jpg, sizes, pieces), `seed ${seed}`).toEqual(expected);
      }
    });
  }

  test('should match the reference model on the vector input', () => {
    for (const vector of vectors.cases) {
      const expected = vector.offsets.map((offset, i) => offset + vector.lengths[i]);
      expect(referenceCuts(jpg, vector)).toEqual(expected);
    }
  });

  test('should cut all zeros at the maximum size', () => {
    const sizes = { min: 64, avg: 256, max: 1024 };
    const cuts = cutWhole(new Uint8Array(10_240), sizes);
    expect(cuts).toEqual(Array.from({ length: 10 }, (_, i) => (i + 1) * 1024));
  });

  test('should produce no cut for an empty stream', () => {
    const cutter = createCutter(contentDefined({ min: 64, avg: 256, max: 1024 }), {
      filesystem: false,
    });
    expect(cutter.push(new Uint8Array(0))).toEqual([]);
    expect(cutter.finish()).toEqual([]);
  });

  test('should keep a stream shorter than min as one chunk', () => {
    const sizes = { min: 4096, avg: 16384, max: 65535 };
    for (const length of [1, 2, 4095, 4096]) {
      const data = randomBytes(length, length);
      expect(cutWhole(data, sizes), `length ${length}`).toEqual([length]);
      expect(cutInPieces(data, sizes, [1]), `length ${length}`).toEqual([length]);
    }
  });

  test('should match the reference model at end-of-input lengths', () => {
    const sizes = { min: 64, avg: 256, max: 1024 };
    const lengths = [
      1, 63, 64, 65, 66, 67, 255, 256, 257, 1023, 1024, 1025, 1026, 2047, 2048,
      2049, 3001, 3002, 9999, 10_000,
    ];
    for (const length of lengths) {
      for (const seed of [7, 8]) {
        const data = randomBytes(length, seed * 100_000 + length);
        const expected = referenceCuts(data, sizes);
        const label = `length ${length}, seed ${seed}`;
        expect(cutWhole(data, sizes), label).toEqual(expected);
        expect(cutInPieces(data, sizes, [1]), label).toEqual(expected);
        expect(cutInPieces(data, sizes, [2]), label).toEqual(expected);
        expect(cutInPieces(data, sizes, [3, 1, 2]), label).toEqual(expected);
      }
    }
  });

  test('should match the reference model with odd sizes and random pieces', () => {
    const settings: Sizes[] = [
      { min: 65, avg: 257, max: 1025 },
      { min: 64, avg: 300, max: 1031 },
      { min: 256, avg: 256, max: 1024 },
      { min: 1024, avg: 1024, max: 1024 },
      { min: 4096, avg: 16384, max: 65535 },
    ];
    for (const [n, sizes] of settings.entries()) {
      const data = randomBytes(80_001, 40 + n);
      const expected = referenceCuts(data, sizes);
      const label = JSON.stringify(sizes);
      expect(cutWhole(data, sizes), label).toEqual(expected);
      expect(cutInPieces(data, sizes, randomSizes(200, n + 1, 3000)), label).toEqual(
        expected,
      );
    }
  });

  test('should match the reference model on low-entropy data', () => {
    // Long runs reach max, short repeats cut by content; both with odd tails.
    const sizes = { min: 64, avg: 256, max: 1024 };
    const runs = new Uint8Array(20_001);
    for (let i = 0; i < runs.length; i++) runs[i] = Math.floor(i / 3000) % 3;
    const text = new TextEncoder().encode('layer chunk digest tar '.repeat(999));
    for (const data of [runs, text]) {
      const expected = referenceCuts(data, sizes);
      expect(cutWhole(data, sizes)).toEqual(expected);
      expect(cutInPieces(data, sizes, [1])).toEqual(expected);
    }
  });

  test('should keep most chunks after a small insertion', () => {
    const sizes = { min: 4096, avg: 16384, max: 65535 };
    const original = randomBytes(2 << 20, 99);
    const middle = original.length / 2;
    const edited = new Uint8Array(original.length + 5);
    edited.set(original.subarray(0, middle));
    edited.set([1, 2, 3, 4, 5], middle);
    edited.set(original.subarray(middle), middle + 5);

    const before = chunkDigests(original, cutWhole(original, sizes));
    const after = chunkDigests(edited, cutWhole(edited, sizes));
    const kept = new Set(before);
    const surviving = after.filter((digest) => kept.has(digest)).length;
    expect(before.length).toBeGreaterThan(60);
    // The insertion changes the chunk that contains it and at most a neighbour.
    expect(surviving).toBeGreaterThanOrEqual(before.length - 3);
    expect(surviving).toBeLessThan(before.length);
  });
});
