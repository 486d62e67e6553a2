/** Chooses the cutter for a strategy. */
import { createFastCDCCutter } from './fastcdc';
import { createFileBoundaryCutter } from './file-boundary';
import { createFixedSizeCutter } from './fixed-size';
import { validateStrategy } from './params';
import type { ChunkCutter, StrategyParams } from './strategy';

/**
 * Returns a new cutter for one stream. file-boundary uses the tar structure
 * only when `filesystem` is true; without it, it cuts like fixed-size.
 * Throws InvalidInputError when a parameter is out of bounds.
 */
export function createCutter(
  params: StrategyParams,
  options: { filesystem: boolean },
): ChunkCutter {
  const valid = validateStrategy(params);
  switch (valid.name) {
    case 'fixed-size':
      return createFixedSizeCutter(valid.chunkSize);
    case 'file-boundary':
      return options.filesystem
        ? createFileBoundaryCutter(valid.chunkSize)
        : createFixedSizeCutter(valid.chunkSize);
    case 'content-defined':
      return createFastCDCCutter(valid);
  }
}
