/**
 * The content-defined cutter: FastCDC 2020 with normalization level 1, cutting
 * where the v2020 module of the fastcdc Rust crate (3.x) cuts, so that chunk
 * stores made by either share chunks.
 *
 * For each chunk, the 64-bit gear hash rolls two bytes per step, starting at
 * byte `2 * floor(min / 2)`. A step shifts the hash left by 2, adds the
 * left-shifted gear entry of the first byte and tests the left-shifted mask.
 * Then it adds the plain gear entry of the second byte and tests the plain
 * mask. The chunk ends before the byte whose hash passes the test (all masked
 * bits zero). Steps before byte `2 * floor(avg / 2)` of the chunk use the
 * strict mask, later ones the loose mask. A step runs only when both of its bytes exist and fit in `max`,
 * so the last byte of an odd-length tail is never hashed. Without a passing
 * test the chunk ends at `max` or at the end of the stream, whichever comes
 * first. A tail of at most `min` bytes is therefore one chunk.
 *
 * The hash is kept in two small-integer limbs instead of a BigInt, because
 * this loop runs once per byte pair of every layer.
 */
import { assert } from '../errors';
import { GEAR_HIGH, GEAR_LOW } from './gear-table';
import type { ChunkCutter } from './strategy';

/**
 * FastCDC masks by log2 of the chunk size, as [high, low] 32-bit halves.
 * Entries 5 to 25 are those of the fastcdc crate, which took the values for
 * 64 B to 128 KiB from the authors' C reference implementation.
 */
const MASKS: ReadonlyArray<readonly [number, number]> = [
  [0, 0], [0, 0], [0, 0], [0, 0], [0, 0],
  [0x00000000, 0x01804110], // 5
  [0x00000000, 0x01803110], // 6: 64 B
  [0x00000000, 0x18035100], // 7
  [0x00000018, 0x00035300], // 8
  [0x00000190, 0x00353000], // 9
  [0x00005900, 0x03530000], // 10: 1 KiB
  [0x0000d900, 0x03530000], // 11
  [0x0000d901, 0x03530000], // 12
  [0x0000d903, 0x03530000], // 13
  [0x0000d903, 0x13530000], // 14
  [0x0000d90f, 0x03530000], // 15
  [0x0000d903, 0x03537000], // 16: 64 KiB
  [0x0000d907, 0x03537000], // 17
  [0x0000d907, 0x07537000], // 18
  [0x0000d917, 0x07537000], // 19
  [0x0000d917, 0x47537000], // 20: 1 MiB
  [0x0000d917, 0x67537000], // 21
  [0x0000d937, 0x67537000], // 22
  [0x0000d937, 0x77537000], // 23
  [0x0000d937, 0x77577000], // 24
  [0x0000db37, 0x77577000], // 25
];

/** Normalization level: the strict mask has this many more bits, the loose one fewer. */
const NORMALIZATION_LEVEL = 1;

/**
 * Every mask, shifted or not, lies in bits 0..48, and bits of the rolling hash
 * only carry upward, so the cutter keeps the hash modulo 2^49 as a 24-bit low
 * limb and a 25-bit high limb. Both stay small integers, which JavaScript
 * engines add and shift much faster than 32-bit halves with carries.
 */
const LOW_BITS = 24;
const LOW_LIMB = 0xff_ffff;
const HIGH_LIMB = 0x1ff_ffff;
assert(
  MASKS.every(([high]) => high <= 0xffff),
  'FastCDC masks must fit in 48 bits for the 49-bit rolling hash',
);

/** Returns [high 25 bits, low 24 bits] of a 64-bit value given as 32-bit halves. */
function limbs(high: number, low: number): [number, number] {
  const upper = ((high << (32 - LOW_BITS)) | (low >>> LOW_BITS)) & HIGH_LIMB;
  return [upper, low & LOW_LIMB];
}

/** Returns the 32-bit halves of a 64-bit value shifted left by one bit. */
function shiftLeft1(high: number, low: number): [number, number] {
  return [((high << 1) | (low >>> 31)) >>> 0, (low << 1) >>> 0];
}

function gearTable(shifted: boolean): [Int32Array, Int32Array] {
  const highs = new Int32Array(256);
  const lows = new Int32Array(256);
  for (let i = 0; i < 256; i++) {
    let entry: [number, number] = [GEAR_HIGH[i], GEAR_LOW[i]];
    if (shifted) entry = shiftLeft1(...entry);
    [highs[i], lows[i]] = limbs(...entry);
  }
  return [highs, lows];
}

const [GEAR_HIGH_LIMB, GEAR_LOW_LIMB] = gearTable(false);
// The gear table shifted left by one bit, for the first byte of each step.
const [GEAR_SHIFTED_HIGH_LIMB, GEAR_SHIFTED_LOW_LIMB] = gearTable(true);

/** Sizes of content-defined chunking, in bytes. */
export interface FastCDCSizes {
  min: number;
  avg: number;
  max: number;
}

/** The strict and loose masks as limbs, plain and shifted left by one bit. */
interface MaskSet {
  strictHigh: number;
  strictLow: number;
  strictShiftedHigh: number;
  strictShiftedLow: number;
  looseHigh: number;
  looseLow: number;
  looseShiftedHigh: number;
  looseShiftedLow: number;
}

/** Returns round(log2(value)), as the fastcdc crate's `logarithm2` does. */
export function roundedLog2(value: number): number {
  return Math.round(Math.log2(value));
}

function maskSet(avg: number): MaskSet {
  const bits = roundedLog2(avg);
  const strict = MASKS[bits + NORMALIZATION_LEVEL];
  const loose = MASKS[bits - NORMALIZATION_LEVEL];
  const [strictHigh, strictLow] = limbs(...strict);
  const [strictShiftedHigh, strictShiftedLow] = limbs(...shiftLeft1(...strict));
  const [looseHigh, looseLow] = limbs(...loose);
  const [looseShiftedHigh, looseShiftedLow] = limbs(...shiftLeft1(...loose));
  return {
    strictHigh,
    strictLow,
    strictShiftedHigh,
    strictShiftedLow,
    looseHigh,
    looseLow,
    looseShiftedHigh,
    looseShiftedLow,
  };
}

/** Streaming FastCDC 2020 cutter; sizes must be validated by the caller. */
class FastCDCCutter implements ChunkCutter {
  private readonly max: number;
  /** Offsets from the chunk start: first hashed byte, end of strict steps, end of steps. */
  private readonly firstStep: number;
  private readonly strictEnd: number;
  private readonly stepsEnd: number;
  private readonly masks: MaskSet;

  /** Stream offset of the first byte that the next push brings. */
  private position = 0;
  private chunkStart = 0;
  /** Stream offset of the first byte of the next step. */
  private next: number;
  private hashHigh = 0;
  private hashLow = 0;
  /** Last byte of the previous piece, for a step that spans two pieces. */
  private readonly carried = new Uint8Array(2);

  constructor(sizes: FastCDCSizes) {
    this.max = sizes.max;
    this.firstStep = 2 * Math.floor(sizes.min / 2);
    this.strictEnd = 2 * Math.floor(sizes.avg / 2);
    this.stepsEnd = 2 * Math.floor(sizes.max / 2);
    this.masks = maskSet(sizes.avg);
    this.next = this.firstStep;
  }

  push(piece: Uint8Array): number[] {
    const cuts: number[] = [];
    if (piece.length === 0) return cuts;
    const start = this.position;
    const end = start + piece.length;
    this.position = end;

    for (;;) {
      if (this.next >= this.chunkStart + this.stepsEnd) {
        // No step is left: the chunk ends at max once those bytes are here.
        const cut = this.chunkStart + this.max;
        if (cut > end) break;
        this.startChunk(cut, cuts);
        continue;
      }
      if (this.next + 1 >= end) break;
      const cut =
        this.next < start
          ? this.scanSpanningStep(piece[0], start)
          : this.scan(piece, start, end);
      if (cut >= 0) this.startChunk(cut, cuts);
    }
    this.carried[0] = piece[piece.length - 1];
    return cuts;
  }

  finish(): number[] {
    // Every step with both bytes present has run, so the tail is one chunk.
    if (this.position === this.chunkStart) return [];
    const cut = this.position;
    this.startChunk(cut, []);
    return [cut];
  }

  private startChunk(cut: number, cuts: number[]): void {
    cuts.push(cut);
    this.chunkStart = cut;
    this.next = cut + this.firstStep;
    this.hashHigh = 0;
    this.hashLow = 0;
  }

  /** Runs the one step whose first byte ended the previous piece. */
  private scanSpanningStep(second: number, start: number): number {
    this.carried[1] = second;
    return this.scan(this.carried, start - 1, start + 1);
  }

  /**
   * Runs the steps whose bytes lie in `bytes` (at stream offset `base`, up to
   * `end`), and returns the cut that a step finds, or -1 when none does.
   */
  private scan(bytes: Uint8Array, base: number, end: number): number {
    const chunkStart = this.chunkStart;
    // Local indexes: the step at i hashes bytes i and i + 1.
    const stepsStop = Math.min(chunkStart + this.stepsEnd, end - 1) - base;
    const strictStop = Math.min(chunkStart + this.strictEnd - base, stepsStop);
    let found = -1;
    if (this.next - base < strictStop) {
      found = this.roll(bytes, base, strictStop, true);
    }
    if (found < 0 && this.next - base < stepsStop) {
      found = this.roll(bytes, base, stepsStop, false);
    }
    return found < 0 ? -1 : base + found;
  }

  /**
   * Rolls the steps from `this.next` while their local index is below `stop`,
   * with the strict or the loose masks, and returns the local index where the
   * chunk ends, or -1. This is the hot loop of the cutter.
   */
  private roll(
    bytes: Uint8Array,
    base: number,
    stop: number,
    strict: boolean,
  ): number {
    const m = this.masks;
    const shiftedMaskHigh = strict ? m.strictShiftedHigh : m.looseShiftedHigh;
    const shiftedMaskLow = strict ? m.strictShiftedLow : m.looseShiftedLow;
    const maskHigh = strict ? m.strictHigh : m.looseHigh;
    const maskLow = strict ? m.strictLow : m.looseLow;
    let high = this.hashHigh;
    let low = this.hashLow;
    let i = this.next - base;
    let found = -1;
    for (; i < stop; i += 2) {
      // hash = (hash << 2) + GEAR_SHIFTED[first byte], modulo 2^49.
      let byte = bytes[i];
      low = (low << 2) + GEAR_SHIFTED_LOW_LIMB[byte];
      high = (high << 2) + (low >>> LOW_BITS) + GEAR_SHIFTED_HIGH_LIMB[byte];
      high &= HIGH_LIMB;
      low &= LOW_LIMB;
      if ((high & shiftedMaskHigh) === 0 && (low & shiftedMaskLow) === 0) {
        found = i;
        break;
      }
      // hash = hash + GEAR[second byte], modulo 2^49.
      byte = bytes[i + 1];
      low += GEAR_LOW_LIMB[byte];
      high = (high + (low >>> LOW_BITS) + GEAR_HIGH_LIMB[byte]) & HIGH_LIMB;
      low &= LOW_LIMB;
      if ((high & maskHigh) === 0 && (low & maskLow) === 0) {
        found = i + 1;
        break;
      }
    }
    this.hashHigh = high;
    this.hashLow = low;
    this.next = base + i;
    return found;
  }
}

/**
 * Returns a FastCDC 2020 cutter (normalization level 1). The sizes must
 * already be valid, as `validateStrategy` checks them.
 */
export function createFastCDCCutter(sizes: FastCDCSizes): ChunkCutter {
  return new FastCDCCutter(sizes);
}
