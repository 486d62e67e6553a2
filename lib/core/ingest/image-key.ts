import type { StrategyParams } from '../chunk/strategy';
import type { Digest } from '../digest';

/** Returns a short text form of a strategy and its parameters, such as `fixed-size:65536`. */
export function strategyKey(strategy: StrategyParams, filesystem: boolean): string {
  const params =
    strategy.name === 'content-defined'
      ? `${strategy.min}-${strategy.avg}-${strategy.max}`
      : `${strategy.chunkSize}`;
  return `${strategy.name}:${params}${filesystem ? '' : ':plain'}`;
}

/** Returns the key of an image record: one per manifest and strategy. */
export function imageKey(manifestDigest: Digest, strategy: StrategyParams, filesystem: boolean): string {
  return `${manifestDigest}@${strategyKey(strategy, filesystem)}`;
}
