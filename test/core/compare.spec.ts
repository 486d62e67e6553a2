import { expect, test } from '@playwright/test';
import { parseStrategy } from '../../lib/core/chunk/params';
import type { StrategyParams } from '../../lib/core/chunk/strategy';
import { compareStrategies } from '../../lib/core/compare/compare';
import { log2Bucket, nearestRank, sizeHistogram } from '../../lib/core/compare/size-figures';
import type { StrategyRun } from '../../lib/core/compare/types';
import { InvalidInputError } from '../../lib/core/errors';

const fixed = parseStrategy('fixed-size:64KiB');
const cdc = parseStrategy('content-defined');

/** Builds a run from layers written as [digest, size] pairs. */
function run(
  imageName: string,
  strategy: StrategyParams,
  layers: [string, number][][],
  seconds = 2,
  bytesIn = 1000,
): StrategyRun {
  return {
    imageName,
    strategy,
    layers: layers.map((chunks) => ({
      chunks: chunks.map(([digest, size]) => ({ digest, size })),
    })),
    seconds,
    bytesIn,
  };
}

const imageA = run('a:1', fixed, [[['a', 100], ['b', 200], ['a', 100]], [['c', 50]]], 2, 900);
const imageB = run('b:1', fixed, [[['a', 100], ['d', 300]]], 4, 1000);

test.describe('compareStrategies', () => {
  test('should compute per-image figures by hand', () => {
    const result = compareStrategies([imageA, imageB]);
    expect(result.images).toEqual(['a:1', 'b:1']);
    expect(result.strategies).toHaveLength(1);
    const [a, b] = result.strategies[0].images;

    expect(a.image).toBe(0);
    expect(a.layerCount).toBe(2);
    expect(a.chunkCount).toBe(4);
    expect(a.distinctChunks).toBe(3);
    expect(a.totalBytes).toBe(450);
    expect(a.storedBytes).toBe(350);
    expect(a.dedupRatio).toBe(450 / 350);
    expect(a.sharedBytes).toBe(100);
    expect(a.sizes).toEqual({ min: 50, median: 100, mean: 112.5, p95: 200, max: 200 });
    expect(a.histogram).toEqual({ firstLog2: 5, counts: [1, 2, 1] });
    expect(a.bytesPerSecond).toBe(450);

    expect(b.image).toBe(1);
    expect(b.chunkCount).toBe(2);
    expect(b.storedBytes).toBe(400);
    expect(b.dedupRatio).toBe(1);
    expect(b.sharedBytes).toBe(100);
    expect(b.sizes).toEqual({ min: 100, median: 100, mean: 200, p95: 300, max: 300 });
    expect(b.histogram).toEqual({ firstLog2: 6, counts: [1, 0, 1] });
  });

  test('should compute update costs and totals', () => {
    const strategy = compareStrategies([imageA, imageB]).strategies[0];
    // a -> b fetches d; b -> a fetches b and c.
    expect(strategy.updateCosts).toEqual([
      [0, 300],
      [250, 0],
    ]);
    expect(strategy.label).toBe('fixed-size:64KiB');
    expect(strategy.totals).toEqual({
      chunkCount: 6,
      distinctChunks: 4,
      totalBytes: 850,
      storedBytes: 650,
      dedupRatio: 850 / 650,
      seconds: 6,
      bytesIn: 1900,
      bytesPerSecond: 1900 / 6,
    });
  });

  test('should group by strategy in order of first appearance', () => {
    const runs = [
      run('b:1', cdc, [[['x', 10]]]),
      run('a:1', fixed, [[['y', 10]]]),
      run('a:1', cdc, [[['x', 10], ['z', 5]]]),
    ];
    const result = compareStrategies(runs);
    expect(result.images).toEqual(['b:1', 'a:1']);
    expect(result.strategies.map((s) => s.label)).toEqual([
      'content-defined:16KiB,64KiB,256KiB',
      'fixed-size:64KiB',
    ]);
    const contentDefined = result.strategies[0];
    expect(contentDefined.images.map((image) => image.imageName)).toEqual(['b:1', 'a:1']);
    expect(contentDefined.images[1].sharedBytes).toBe(10);
    expect(result.strategies[1].images.map((image) => image.image)).toEqual([1]);
    expect(result.strategies[1].images[0].sharedBytes).toBe(0);
  });

  test('should order images by first appearance, not by run order', () => {
    const result = compareStrategies([
      run('a:1', fixed, [[['x', 1]]]),
      run('b:1', cdc, [[['x', 1]]]),
      run('b:1', fixed, [[['x', 1]]]),
      run('a:1', cdc, [[['x', 1]]]),
    ]);
    for (const strategy of result.strategies) {
      expect(strategy.images.map((image) => image.imageName)).toEqual(['a:1', 'b:1']);
    }
  });

  test('should give equal results for equal input', () => {
    const first = compareStrategies([imageA, imageB]);
    const second = compareStrategies([structuredClone(imageA), structuredClone(imageB)]);
    expect(second).toEqual(first);
  });

  test('should handle an image without chunks', () => {
    const result = compareStrategies([run('empty', fixed, [[]], 0, 0)]);
    const [image] = result.strategies[0].images;
    expect(image.chunkCount).toBe(0);
    expect(image.dedupRatio).toBe(1);
    expect(image.bytesPerSecond).toBe(0);
    expect(image.sizes).toEqual({ min: 0, median: 0, mean: 0, p95: 0, max: 0 });
    expect(image.histogram).toEqual({ firstLog2: 0, counts: [] });
  });

  test('should reject a repeated image and strategy', () => {
    expect(() => compareStrategies([imageA, imageA])).toThrow(InvalidInputError);
    expect(() => compareStrategies([imageA, imageA])).toThrow(
      /image "a:1" appears twice for strategy fixed-size:64KiB/,
    );
  });

  test('should reject a digest with two sizes', () => {
    const other = run('b:1', fixed, [[['a', 101]]]);
    expect(() => compareStrategies([imageA, other])).toThrow(
      /chunk a has size 101 here and 100 elsewhere/,
    );
  });

  test('should reject malformed runs', () => {
    const cases: [StrategyRun, RegExp][] = [
      [run('', fixed, []), /run 0: imageName must be a non-empty string/],
      [run('x', fixed, [[['a', -1]]]), /chunk a has invalid size -1/],
      [run('x', fixed, [[['', 1]]]), /chunk digest must be a non-empty string/],
      [run('x', fixed, [], -1), /seconds must be a finite number >= 0, got -1/],
      [run('x', fixed, [], 1, 1.5), /bytesIn must be a whole number >= 0, got 1.5/],
      [run('x', { name: 'fixed-size', chunkSize: 0 }, []), /chunkSize .* got 0/],
    ];
    for (const [bad, message] of cases) {
      expect(() => compareStrategies([bad])).toThrow(InvalidInputError);
      expect(() => compareStrategies([bad])).toThrow(message);
    }
  });
});

test.describe('size figures', () => {
  test('should use nearest-rank percentiles', () => {
    const sizes = Float64Array.from({ length: 100 }, (_, i) => i + 1);
    expect(nearestRank(sizes, 50)).toBe(50);
    expect(nearestRank(sizes, 95)).toBe(95);
    expect(nearestRank(sizes, 100)).toBe(100);
    expect(nearestRank(Float64Array.of(7), 95)).toBe(7);
    expect(nearestRank(new Float64Array(0), 50)).toBe(0);
  });

  test('should bucket sizes by floor of log2', () => {
    expect([0, 1, 2, 3, 4, 511, 512, 65_535, 65_536].map(log2Bucket)).toEqual([
      0, 0, 1, 1, 2, 8, 9, 15, 16,
    ]);
    expect(log2Bucket(2 ** 40 + 5)).toBe(40);
    expect(sizeHistogram(Float64Array.of(512, 600, 4096))).toEqual({
      firstLog2: 9,
      counts: [2, 0, 0, 1],
    });
  });
});
