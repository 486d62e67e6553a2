/**
 * Strategy parameters from callers: defaults, bounds, validation, and the
 * text form that the command line and the UI accept.
 */
import { InvalidInputError } from '../errors';
import type { StrategyName, StrategyParams } from './strategy';

const KIB = 1024;
const MIB = 1024 * KIB;

/** Names of the strategies, in the order the UI lists them. */
export const STRATEGY_NAMES: readonly StrategyName[] = [
  'fixed-size',
  'file-boundary',
  'content-defined',
];

/** Default chunk size of fixed-size and file-boundary: 64 KiB. */
export const DEFAULT_CHUNK_SIZE_BYTES = 64 * KIB;
/** Largest chunk size that fixed-size and file-boundary accept: 64 MiB. */
export const MAX_CHUNK_SIZE_BYTES = 64 * MIB;

/** Default content-defined sizes: 16 KiB minimum, 64 KiB average, 256 KiB maximum. */
export const DEFAULT_CONTENT_DEFINED = {
  min: 16 * KIB,
  avg: 64 * KIB,
  max: 256 * KIB,
} as const;

/**
 * Bounds of the content-defined sizes, the same as the fastcdc Rust crate's
 * v2020 module (MINIMUM_MIN..MAXIMUM_MAX), so its chunkers accept every
 * setting that this one does.
 */
export const CONTENT_DEFINED_BOUNDS = {
  min: { lower: 64, upper: 1 * MIB },
  avg: { lower: 256, upper: 4 * MIB },
  max: { lower: 1 * KIB, upper: 16 * MIB },
} as const;

/** Sizes as a caller gives them: byte counts as numbers or decimal strings. */
export interface StrategyInput {
  name: string;
  chunkSize?: number | string;
  min?: number | string;
  avg?: number | string;
  max?: number | string;
}

/** Returns the strategy with its default parameters. */
export function defaultStrategy(name: StrategyName): StrategyParams {
  if (name === 'content-defined') {
    return { name, ...DEFAULT_CONTENT_DEFINED };
  }
  return { name, chunkSize: DEFAULT_CHUNK_SIZE_BYTES };
}

/**
 * Parses a strategy from the text form (`fixed-size`, `fixed-size:1MiB`,
 * `content-defined:16KiB,64KiB,256KiB`) or from named fields; parameters that
 * are left out take their defaults. Throws InvalidInputError.
 */
export function parseStrategy(input: string | StrategyInput): StrategyParams {
  const fields = typeof input === 'string' ? splitStrategyText(input) : input;
  const name = parseStrategyName(fields.name);
  if (name === 'content-defined') {
    const defaults = DEFAULT_CONTENT_DEFINED;
    return validateStrategy({
      name,
      min: parseSize(fields.min ?? defaults.min, 'min'),
      avg: parseSize(fields.avg ?? defaults.avg, 'avg'),
      max: parseSize(fields.max ?? defaults.max, 'max'),
    });
  }
  const size = fields.chunkSize ?? DEFAULT_CHUNK_SIZE_BYTES;
  return validateStrategy({ name, chunkSize: parseSize(size, 'chunkSize') });
}

/** Returns `params` when every parameter is in bounds; throws InvalidInputError. */
export function validateStrategy(params: StrategyParams): StrategyParams {
  // Parameters may come from JSON, so the name is checked before narrowing.
  parseStrategyName((params as { name: unknown }).name);
  if (params.name === 'content-defined') {
    const { min, avg, max } = params;
    validateContentDefined(min, avg, max);
    return { name: params.name, min, avg, max };
  }
  checkInteger(params.chunkSize, 'chunkSize', 1, MAX_CHUNK_SIZE_BYTES);
  return { name: params.name, chunkSize: params.chunkSize };
}

/**
 * Returns the canonical text form of a strategy, which `parseStrategy` reads
 * back: sizes in KiB or MiB when they divide evenly, in bytes otherwise.
 */
export function formatStrategy(params: StrategyParams): string {
  if (params.name === 'content-defined') {
    const sizes = [params.min, params.avg, params.max].map(formatSize);
    return `${params.name}:${sizes.join(',')}`;
  }
  return `${params.name}:${formatSize(params.chunkSize)}`;
}

/** Returns true when two strategies have the same name and parameters. */
export function sameStrategy(a: StrategyParams, b: StrategyParams): boolean {
  return formatStrategy(a) === formatStrategy(b);
}

function parseStrategyName(value: unknown): StrategyName {
  const name = STRATEGY_NAMES.find((known) => known === value);
  if (name !== undefined) return name;
  throw new InvalidInputError(
    `strategy: unknown name ${JSON.stringify(value)}, expected one of ${STRATEGY_NAMES.join(', ')}`,
  );
}

function splitStrategyText(text: string): StrategyInput {
  const colon = text.indexOf(':');
  const name = (colon < 0 ? text : text.slice(0, colon)).trim();
  if (colon < 0) return { name };
  const sizes = text.slice(colon + 1).split(',');
  if (name !== 'content-defined') {
    if (sizes.length !== 1) {
      throw new InvalidInputError(
        `strategy ${name}: expected one chunk size after ':', got ${JSON.stringify(text)}`,
      );
    }
    return { name, chunkSize: sizes[0] };
  }
  if (sizes.length !== 3) {
    throw new InvalidInputError(
      `strategy content-defined: expected min,avg,max after ':', got ${JSON.stringify(text)}`,
    );
  }
  return { name, min: sizes[0], avg: sizes[1], max: sizes[2] };
}

const SIZE_PATTERN = /^(\d+)\s*(b|k|kb|kib|m|mb|mib)?$/i;

/**
 * Parses a byte count: a number, or a decimal string with an optional binary
 * unit (`K`/`KiB`/`KB` = 1024, `M`/`MiB`/`MB` = 1048576).
 */
function parseSize(value: number | string, parameter: string): number {
  if (typeof value === 'number') return value;
  const match = SIZE_PATTERN.exec(value.trim());
  if (match === null) {
    throw new InvalidInputError(
      `strategy: ${parameter} must be a whole number of bytes, optionally with KiB or MiB, got ${JSON.stringify(value)}`,
    );
  }
  const unit = (match[2] ?? 'b').toLowerCase();
  const scale = unit === 'b' ? 1 : unit.startsWith('k') ? KIB : MIB;
  return Number(match[1]) * scale;
}

function formatSize(bytes: number): string {
  if (bytes % MIB === 0) return `${bytes / MIB}MiB`;
  if (bytes % KIB === 0) return `${bytes / KIB}KiB`;
  return String(bytes);
}

function checkInteger(
  value: unknown,
  parameter: string,
  lower: number,
  upper: number,
): void {
  if (
    typeof value !== 'number' ||
    !Number.isInteger(value) ||
    value < lower ||
    value > upper
  ) {
    throw new InvalidInputError(
      `strategy: ${parameter} must be a whole number of bytes from ${lower} to ${upper}, got ${describe(value)}`,
    );
  }
}

function describe(value: unknown): string {
  return typeof value === 'number' ? String(value) : JSON.stringify(value);
}

function validateContentDefined(min: number, avg: number, max: number): void {
  const bounds = CONTENT_DEFINED_BOUNDS;
  checkInteger(min, 'min', bounds.min.lower, bounds.min.upper);
  checkInteger(avg, 'avg', bounds.avg.lower, bounds.avg.upper);
  checkInteger(max, 'max', bounds.max.lower, bounds.max.upper);
  if (min > avg || avg > max) {
    throw new InvalidInputError(
      `strategy content-defined: sizes must satisfy min <= avg <= max, got min ${min}, avg ${avg}, max ${max}`,
    );
  }
}
