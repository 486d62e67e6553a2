import { expect, test } from '@playwright/test';
import { deflateSync, inflateSync } from 'fflate';
import { parseStrategy } from '../../lib/core/chunk/params';
import { compareStrategies } from '../../lib/core/compare/compare';
import {
  ByteReader,
  ByteWriter,
  crc32,
  fromBase64URL,
  toBase64URL,
} from '../../lib/core/compare/link-bytes';
import type { Comparison, StrategyRun } from '../../lib/core/compare/types';
import { InvalidInputError } from '../../lib/core/errors';
import {
  decodeShareLink,
  encodeShareLink,
  FORMAT_VERSION,
  FRAGMENT_PREFIX,
} from '../../lib/core/share-link';

const IMAGE_NAMES = [
  'docker.io/library/python:3.12-slim',
  'docker.io/library/python:3.13-slim',
  'ghcr.io/example/private-app:2.4.1',
];

const STRATEGIES = [
  'fixed-size:16KiB',
  'fixed-size:64KiB',
  'fixed-size:1MiB',
  'file-boundary:64KiB',
  'file-boundary:1MiB',
  'content-defined:4KiB,16KiB,64KiB',
  'content-defined:16KiB,64KiB,256KiB',
].map((text) => parseStrategy(text));

/** Returns a deterministic generator of numbers in [0, 1). */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648;
  };
}

/**
 * Builds runs of three images under seven strategies, about 100 MiB each with
 * shared base layers and chunk sizes from 64 B to 1 MiB, so that histograms
 * span many buckets.
 */
function realisticRuns(): StrategyRun[] {
  const next = random(7);
  const runs: StrategyRun[] = [];
  STRATEGIES.forEach((strategy, s) => {
    IMAGE_NAMES.forEach((imageName, i) => {
      const layers = Array.from({ length: 5 }, (_, l) => {
        const shared = l < 3;
        const layerRandom = shared ? random(1000 * s + l) : next;
        const chunks: { digest: string; size: number }[] = [];
        for (let k = 0, left = 20_000_000 + l * 1_000_000; left > 0; k++) {
          const size = Math.min(left, Math.floor(2 ** (6 + layerRandom() * 14)));
          const owner = shared ? 'base' : `image${i}`;
          chunks.push({ digest: `${s}/${owner}/${l}/${k}/${size}`, size });
          left -= size;
        }
        return { chunks };
      });
      const seconds = Math.round(1000 + next() * 20_000) / 1000;
      runs.push({ imageName, strategy, layers, seconds, bytesIn: 40_000_000 + i });
    });
  });
  return runs;
}

const realistic = compareStrategies(realisticRuns());

/** Returns the inflated body of a fragment, for checks on what a link holds. */
function bodyOf(fragment: string): Uint8Array {
  const input = new ByteReader(fromBase64URL(fragment.slice(FRAGMENT_PREFIX.length)));
  input.byte();
  return inflateSync(input.take(input.varint()));
}

/** Builds a fragment with any version byte and body, with a valid checksum. */
function craftFragment(version: number, packed: Uint8Array): string {
  const out = new ByteWriter();
  out.byte(version);
  const body = deflateSync(packed);
  out.varint(body.length);
  out.bytes(body);
  const unsigned = out.finish();
  const checksum = crc32(unsigned);
  for (let shift = 24; shift >= 0; shift -= 8) out.byte((checksum >>> shift) & 0xff);
  return FRAGMENT_PREFIX + toBase64URL(out.finish());
}

function expectDecodeError(link: string, message: RegExp): void {
  expect(() => decodeShareLink(link)).toThrow(InvalidInputError);
  expect(() => decodeShareLink(link)).toThrow(message);
}

test.describe('share link', () => {
  test('should build realistic histograms for the size test', () => {
    expect(realistic.strategies).toHaveLength(7);
    for (const strategy of realistic.strategies) {
      expect(strategy.images).toHaveLength(3);
      for (const image of strategy.images) {
        expect(image.histogram?.counts.length).toBeGreaterThanOrEqual(12);
      }
    }
  });

  test('should fit 3 images and 7 strategies with histograms in 4 KB', () => {
    const link = encodeShareLink(realistic, { includeNames: true });
    expect(link.omitted).toEqual([]);
    expect(link.fragment.length).toBeLessThan(4096);
    expect(encodeShareLink(realistic).fragment.length).toBeLessThan(4096);
  });

  test('should round-trip every figure with names', () => {
    const link = encodeShareLink(realistic, { includeNames: true });
    const decoded = decodeShareLink(`#${link.fragment}`);
    expect(decoded.namesIncluded).toBe(true);
    expect(decoded.comparison).toEqual(realistic);
  });

  test('should leave names out unless asked', () => {
    const link = encodeShareLink(realistic);
    const decoded = decodeShareLink(link.fragment);
    expect(decoded.namesIncluded).toBe(false);
    expect(decoded.comparison.images).toEqual(['image 1', 'image 2', 'image 3']);
    expect(decoded.comparison.strategies[0].images[2].imageName).toBe('image 3');
    const body = new TextDecoder('latin1').decode(bodyOf(link.fragment));
    expect(body).not.toContain('private-app');
    expect(body).not.toContain('python');
  });

  test('should carry no chunk digests', () => {
    const body = new TextDecoder('latin1').decode(
      bodyOf(encodeShareLink(realistic, { includeNames: true }).fragment),
    );
    expect(body).toContain('private-app');
    expect(body).not.toContain('/base/');
  });

  test('should read a link inside a whole URL', () => {
    const link = encodeShareLink(realistic);
    const url = `http://127.0.0.1:3000/compare#${link.fragment}`;
    expect(decodeShareLink(url).comparison.strategies).toHaveLength(7);
  });

  test('should keep seconds to the millisecond', () => {
    const runs = realisticRuns().slice(0, 1);
    runs[0].seconds = 1.23456;
    const decoded = decodeShareLink(encodeShareLink(compareStrategies(runs)).fragment);
    expect(decoded.comparison.strategies[0].images[0].seconds).toBe(1.235);
  });

  test('should drop histograms first to fit a budget', () => {
    const full = encodeShareLink(realistic).fragment.length;
    const link = encodeShareLink(realistic, { budget: full - 1 });
    expect(link.omitted).toEqual(['histograms']);
    expect(link.fragment.length).toBeLessThanOrEqual(full - 1);
    const decoded = decodeShareLink(link.fragment).comparison;
    expect(decoded.strategies[0].images[0].histogram).toBeUndefined();
    expect(decoded.strategies[0].updateCosts).toEqual(realistic.strategies[0].updateCosts);
  });

  test('should drop update costs and then names when still over budget', () => {
    const withoutHistograms = encodeShareLink(realistic, {
      includeNames: true,
      budget: encodeShareLink(realistic, { includeNames: true }).fragment.length - 1,
    });
    expect(withoutHistograms.omitted).toEqual(['histograms']);

    const tighter = encodeShareLink(realistic, {
      includeNames: true,
      budget: withoutHistograms.fragment.length - 1,
    });
    expect(tighter.omitted).toEqual(['histograms', 'update costs']);
    const decoded = decodeShareLink(tighter.fragment);
    expect(decoded.namesIncluded).toBe(true);
    expect(decoded.comparison.strategies[0].updateCosts).toBeUndefined();

    const tightest = encodeShareLink(realistic, {
      includeNames: true,
      budget: tighter.fragment.length - 1,
    });
    expect(tightest.omitted).toEqual(['histograms', 'update costs', 'image names']);
    expect(decodeShareLink(tightest.fragment).namesIncluded).toBe(false);
  });

  test('should re-encode a decoded link that lacks parts', () => {
    const full = encodeShareLink(realistic).fragment.length;
    const trimmed = decodeShareLink(encodeShareLink(realistic, { budget: full - 1 }).fragment);
    const again = encodeShareLink(trimmed.comparison);
    expect(again.omitted).toEqual([]);
    expect(decodeShareLink(again.fragment).comparison).toEqual(trimmed.comparison);
  });

  test('should reject figures that are not whole numbers', () => {
    const broken = structuredClone(realistic) as Comparison;
    broken.strategies[0].images[0].totalBytes = -1;
    expect(() => encodeShareLink(broken)).toThrow(InvalidInputError);
    expect(() => encodeShareLink(broken)).toThrow(/encoding share link: varint: expected a whole number >= 0, got -1/);
  });

  test('should reject a budget that nothing fits', () => {
    expect(() => encodeShareLink(realistic, { budget: 50 })).toThrow(InvalidInputError);
    expect(() => encodeShareLink(realistic, { budget: 50 })).toThrow(
      /characters without histograms, update costs, over the budget of 50/,
    );
    expect(() => encodeShareLink(realistic, { budget: 0 })).toThrow(/budget must be/);
  });

  test('should reject a foreign fragment', () => {
    expectDecodeError('', /not a comparison link \(fragment does not start with "cmp="\)/);
    expectDecodeError('#section-2', /not a comparison link/);
    expectDecodeError('http://127.0.0.1:3000/docs#install', /not a comparison link/);
  });

  test('should reject a truncated link', () => {
    const { fragment } = encodeShareLink(realistic);
    expectDecodeError(fragment.slice(0, -10), /decoding share link: truncated: expected/);
    expectDecodeError(fragment.slice(0, -1), /decoding share link: truncated/);
    expectDecodeError(fragment.slice(0, fragment.length / 2), /truncated/);
    expectDecodeError(FRAGMENT_PREFIX, /truncated: unexpected end at offset 0/);
  });

  test('should reject a damaged link', () => {
    const { fragment } = encodeShareLink(realistic);
    const middle = Math.floor(fragment.length / 2);
    const flipped = fragment[middle] === 'A' ? 'B' : 'A';
    const damaged = fragment.slice(0, middle) + flipped + fragment.slice(middle + 1);
    expectDecodeError(damaged, /decoding share link: damaged: checksum mismatch/);
    expectDecodeError(`${fragment.slice(0, middle)}!${fragment.slice(middle + 1)}`,
      /damaged: invalid base64url character "!"/);
    expectDecodeError(`${fragment}AAAA`, /damaged: 3 bytes after the checksum/);
  });

  test('should reject a link from a newer version', () => {
    const newer = craftFragment(FORMAT_VERSION + 1, new Uint8Array([1, 2, 3]));
    expectDecodeError(newer, /made by a newer version \(format 2\); this program reads format 1/);
  });

  test('should reject format 0 as foreign', () => {
    expectDecodeError(craftFragment(0, new Uint8Array(4)), /not a comparison link \(unknown format 0\)/);
  });

  test('should reject valid envelopes with invalid content', () => {
    expectDecodeError(craftFragment(1, new Uint8Array([8])), /invalid content: unknown flags 8/);
    expectDecodeError(craftFragment(1, new Uint8Array([0, 1, 1, 9])), /invalid content: unknown strategy kind/);
    expectDecodeError(craftFragment(1, new Uint8Array([0, 0, 0, 5])), /invalid content: 1 bytes after/);
    expectDecodeError(craftFragment(1, new Uint8Array([0, 0, 1, 0, 0])), /invalid content: invalid strategy: .*chunkSize/);
    expectDecodeError(craftFragment(1, new Uint8Array([0, 2])), /invalid content: unexpected end/);
  });

  test('should reject a body that does not inflate', () => {
    const out = new ByteWriter();
    out.byte(1);
    out.varint(3);
    out.bytes(new Uint8Array([0xff, 0xff, 0xff]));
    const unsigned = out.finish();
    const checksum = crc32(unsigned);
    for (let shift = 24; shift >= 0; shift -= 8) out.byte((checksum >>> shift) & 0xff);
    const fragment = FRAGMENT_PREFIX + toBase64URL(out.finish());
    expectDecodeError(fragment, /damaged: body does not inflate/);
  });
});

test.describe('share link bytes', () => {
  test('should round-trip base64url at every length', () => {
    for (let length = 0; length < 10; length++) {
      const bytes = Uint8Array.from({ length }, (_, i) => (i * 97 + 251) & 0xff);
      const text = toBase64URL(bytes);
      expect(text).toBe(Buffer.from(bytes).toString('base64url'));
      expect(fromBase64URL(text)).toEqual(bytes);
    }
  });

  test('should match the CRC-32 check value', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
  });

  test('should round-trip varints up to 2^53 - 1', () => {
    const values = [0, 1, 127, 128, 300, 2 ** 32, 2 ** 49 + 3, Number.MAX_SAFE_INTEGER];
    const out = new ByteWriter();
    values.forEach((value) => out.varint(value));
    const input = new ByteReader(out.finish());
    expect(values.map(() => input.varint())).toEqual(values);
    expect(input.remaining).toBe(0);
  });

  test('should keep comparisons that compare equal', () => {
    const copy = structuredClone(realistic) as Comparison;
    expect(encodeShareLink(copy).fragment).toBe(encodeShareLink(realistic).fragment);
  });
});
