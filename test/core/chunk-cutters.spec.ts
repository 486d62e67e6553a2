import { expect, test } from '@playwright/test';
import { createCutter } from '../../lib/core/chunk/cutter';
import type { ChunkCutter, StrategyParams } from '../../lib/core/chunk/strategy';
import { InvalidInputError } from '../../lib/core/errors';

const BLOCK = 512;

/** Runs a cutter over `length` bytes split into pieces, and returns every cut. */
function runCutter(
  cutter: ChunkCutter,
  length: number,
  pieceSizes: number[],
  structureFor: (start: number, end: number) => number[] = () => [],
): number[] {
  const cuts: number[] = [];
  let at = 0;
  for (let n = 0; at < length; n++) {
    const size = Math.min(pieceSizes[n % pieceSizes.length], length - at);
    const piece = new Uint8Array(size);
    const pieceCuts = cutter.push(piece, structureFor(at, at + size));
    for (const cut of pieceCuts) {
      expect(cut).toBeGreaterThan(at - 1);
      expect(cut).toBeLessThanOrEqual(at + size);
    }
    cuts.push(...pieceCuts);
    at += size;
  }
  cuts.push(...cutter.finish());
  return cuts;
}

/** Returns the multiples of `size` up to `length`, then `length` itself. */
function everyN(length: number, size: number): number[] {
  const cuts: number[] = [];
  for (let cut = size; cut <= length; cut += size) cuts.push(cut);
  if (length % size !== 0) cuts.push(length);
  return cuts;
}

function fixedSize(chunkSize: number): StrategyParams {
  return { name: 'fixed-size', chunkSize };
}

test.describe('fixed-size cutter', () => {
  for (const chunkSize of [1024, 65_536]) {
    const lengths = [0, 1, chunkSize - 1, chunkSize, chunkSize + 1, 3 * chunkSize + 7];
    for (const length of lengths) {
      test(`should cut ${length} bytes into ${chunkSize}-byte chunks`, () => {
        const expected = everyN(length, chunkSize);
        for (const pieces of [[Math.max(length, 1)], [chunkSize], [1000, 1, 4097], [7]]) {
          const cutter = createCutter(fixedSize(chunkSize), { filesystem: false });
          expect(runCutter(cutter, length, pieces), `pieces ${pieces}`).toEqual(expected);
        }
      });
    }
  }

  test('should ignore tar structure', () => {
    const cutter = createCutter(fixedSize(1024), { filesystem: true });
    expect(runCutter(cutter, 3000, [3000], () => [512, 1536])).toEqual([1024, 2048, 3000]);
  });

  test('should return no cut after finish on an exact multiple', () => {
    const cutter = createCutter(fixedSize(4), { filesystem: false });
    expect(cutter.push(new Uint8Array(8))).toEqual([4, 8]);
    expect(cutter.finish()).toEqual([]);
  });
});

// A hand-made tar layout: ustar headers, contents padded to 512-byte blocks,
// two zero blocks, and zeros up to a 10240-byte record.
interface TarRegions {
  length: number;
  /** Offsets where a region (header, content, padding, end zeros) starts. */
  starts: number[];
}

function handMadeTar(fileSizes: number[]): TarRegions {
  const starts: number[] = [];
  let at = 0;
  for (const size of fileSizes) {
    starts.push(at); // header block
    at += BLOCK;
    if (size > 0) starts.push(at); // content
    at += size;
    const padded = Math.ceil(at / BLOCK) * BLOCK;
    if (padded > at) starts.push(at); // padding
    at = padded;
  }
  starts.push(at); // end-of-archive zeros
  const length = Math.ceil((at + 2 * BLOCK) / 10_240) * 10_240;
  return { length, starts };
}

/** Hands out region starts per piece, as the ingest does: those in (start, end]. */
function structureOf(regions: TarRegions) {
  return (start: number, end: number) =>
    regions.starts.filter((offset) => offset > start && offset <= end);
}

test.describe('file-boundary cutter', () => {
  const chunkSize = 65_536;
  const params: StrategyParams = { name: 'file-boundary', chunkSize };
  // Files of 100 bytes, 200000 bytes (split from its own start), 0 and 512.
  const tar = handMadeTar([100, 200_000, 0, 512]);
  const contentB = 1536;
  const expected = [
    512, 612, 1024, 1536,
    contentB + chunkSize, contentB + 2 * chunkSize, contentB + 3 * chunkSize,
    201_536, 201_728, 202_240, 202_752, 203_264, 204_800,
  ];

  test('should describe the hand-made tar as expected', () => {
    expect(tar.starts).toEqual([0, 512, 612, 1024, 1536, 201_536, 201_728, 202_240, 202_752, 203_264]);
    expect(tar.length).toBe(204_800);
  });

  test('should cut at region starts and split long regions', () => {
    for (const pieces of [[tar.length], [65_536], [1], [777, 5000, 512], [100_000]]) {
      const cutter = createCutter(params, { filesystem: true });
      const cuts = runCutter(cutter, tar.length, pieces, structureOf(tar));
      expect(cuts, `pieces ${pieces}`).toEqual(expected);
    }
  });

  test('should accept region starts at the piece start and repeated ones', () => {
    const cutter = createCutter(params, { filesystem: true });
    expect(cutter.push(new Uint8Array(512), [0, 512])).toEqual([512]);
    expect(cutter.push(new Uint8Array(100), [512, 600, 600])).toEqual([600]);
    expect(cutter.finish()).toEqual([612]);
  });

  test('should cut like fixed-size without the filesystem option', () => {
    const cutter = createCutter(params, { filesystem: false });
    const cuts = runCutter(cutter, tar.length, [4096], structureOf(tar));
    expect(cuts).toEqual(everyN(tar.length, chunkSize));
  });

  test('should reject a region start outside the piece', () => {
    const cutter = createCutter(params, { filesystem: true });
    cutter.push(new Uint8Array(1024), [512]);
    expect(() => cutter.push(new Uint8Array(512), [1024 + 513])).toThrow(
      InvalidInputError,
    );
    expect(() => cutter.push(new Uint8Array(512), [100])).toThrow(
      /structure offset 100 must be ascending and inside the piece/,
    );
  });

  test('should reject region starts out of order', () => {
    const cutter = createCutter(params, { filesystem: true });
    expect(() => cutter.push(new Uint8Array(2048), [1024, 512])).toThrow(
      InvalidInputError,
    );
  });
});
