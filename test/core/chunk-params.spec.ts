import { expect, test } from '@playwright/test';
import { createCutter } from '../../lib/core/chunk/cutter';
import {
  defaultStrategy,
  formatStrategy,
  parseStrategy,
  sameStrategy,
  validateStrategy,
} from '../../lib/core/chunk/params';
import type { StrategyParams } from '../../lib/core/chunk/strategy';
import { InvalidInputError } from '../../lib/core/errors';

test.describe('strategy parameters', () => {
  test('should give the documented defaults', () => {
    expect(defaultStrategy('fixed-size')).toEqual({ name: 'fixed-size', chunkSize: 65_536 });
    expect(defaultStrategy('file-boundary')).toEqual({
      name: 'file-boundary',
      chunkSize: 65_536,
    });
    expect(defaultStrategy('content-defined')).toEqual({
      name: 'content-defined',
      min: 16_384,
      avg: 65_536,
      max: 262_144,
    });
  });

  test('should parse names alone with defaults', () => {
    expect(parseStrategy('fixed-size')).toEqual(defaultStrategy('fixed-size'));
    expect(parseStrategy({ name: 'content-defined' })).toEqual(
      defaultStrategy('content-defined'),
    );
  });

  test('should parse sizes with units', () => {
    expect(parseStrategy('fixed-size:1MiB')).toEqual({ name: 'fixed-size', chunkSize: 1 << 20 });
    expect(parseStrategy('file-boundary:4k')).toEqual({ name: 'file-boundary', chunkSize: 4096 });
    expect(parseStrategy('fixed-size:1000')).toEqual({ name: 'fixed-size', chunkSize: 1000 });
    expect(parseStrategy('content-defined:8KiB, 32 KiB,128kb')).toEqual({
      name: 'content-defined',
      min: 8192,
      avg: 32_768,
      max: 131_072,
    });
    expect(parseStrategy({ name: 'fixed-size', chunkSize: '2048' })).toEqual({
      name: 'fixed-size',
      chunkSize: 2048,
    });
  });

  test('should read back its own text form', () => {
    const samples: StrategyParams[] = [
      { name: 'fixed-size', chunkSize: 1000 },
      { name: 'file-boundary', chunkSize: 4 << 20 },
      { name: 'content-defined', min: 4096, avg: 16_384, max: 65_535 },
    ];
    for (const params of samples) {
      expect(parseStrategy(formatStrategy(params))).toEqual(params);
    }
    expect(formatStrategy(defaultStrategy('content-defined'))).toBe(
      'content-defined:16KiB,64KiB,256KiB',
    );
  });

  test('should compare strategies by parameters', () => {
    expect(sameStrategy(parseStrategy('fixed-size:64KiB'), defaultStrategy('fixed-size'))).toBe(
      true,
    );
    expect(sameStrategy(parseStrategy('fixed-size:32KiB'), defaultStrategy('fixed-size'))).toBe(
      false,
    );
  });

  const rejected: [string | Parameters<typeof parseStrategy>[0], RegExp][] = [
    ['rolling', /unknown name "rolling", expected one of fixed-size, file-boundary, content-defined/],
    ['fixed-size:0', /chunkSize must be a whole number of bytes from 1 to 67108864, got 0/],
    ['fixed-size:65MiB', /chunkSize .* got 68157440/],
    ['fixed-size:-5', /chunkSize must be a whole number of bytes, optionally with KiB or MiB, got "-5"/],
    ['fixed-size:1.5k', /chunkSize must be a whole number .* got "1.5k"/],
    ['fixed-size:1,2', /expected one chunk size after ':'/],
    ['content-defined:1k,2k', /expected min,avg,max after ':'/],
    ['content-defined:63,256,1024', /min must be a whole number of bytes from 64 to 1048576, got 63/],
    ['content-defined:2MiB,4MiB,8MiB', /min .* got 2097152/],
    ['content-defined:64,255,1024', /avg must be a whole number of bytes from 256 to 4194304, got 255/],
    ['content-defined:64,8MiB,16MiB', /avg .* got 8388608/],
    ['content-defined:64,256,1023', /max must be a whole number of bytes from 1024 to 16777216, got 1023/],
    ['content-defined:64,256,17MiB', /max .* got 17825792/],
    ['content-defined:8k,4k,64k', /min <= avg <= max, got min 8192, avg 4096, max 65536/],
    ['content-defined:1k,64k,32k', /min <= avg <= max, got min 1024, avg 65536, max 32768/],
    [{ name: 'fixed-size', chunkSize: 1.5 }, /chunkSize .* got 1.5/],
  ];
  for (const [input, message] of rejected) {
    test(`should reject ${JSON.stringify(input)}`, () => {
      expect(() => parseStrategy(input)).toThrow(InvalidInputError);
      expect(() => parseStrategy(input)).toThrow(message);
    });
  }

  test('should accept the bounds themselves', () => {
    expect(() => parseStrategy('content-defined:64,256,1024')).not.toThrow();
    expect(() => parseStrategy('content-defined:1MiB,4MiB,16MiB')).not.toThrow();
    expect(() => parseStrategy('fixed-size:64MiB')).not.toThrow();
    expect(() => parseStrategy('fixed-size:1')).not.toThrow();
  });

  test('should validate parameters from JSON', () => {
    const fromJSON = JSON.parse('{"name":"fixed-size","chunkSize":"64"}') as StrategyParams;
    expect(() => validateStrategy(fromJSON)).toThrow(/chunkSize .* got "64"/);
    const unknown = JSON.parse('{"name":"gear"}') as StrategyParams;
    expect(() => validateStrategy(unknown)).toThrow(/unknown name "gear"/);
  });

  test('should validate in createCutter', () => {
    expect(() =>
      createCutter({ name: 'content-defined', min: 64, avg: 128, max: 1024 }, { filesystem: false }),
    ).toThrow(InvalidInputError);
  });
});
