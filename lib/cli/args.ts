/** Flag parsing shared by the commands; usage errors exit with status 2. */
import { parseArgs } from 'node:util';
import type { ParseArgsConfig } from 'node:util';

/** A usage error: an unknown flag, a missing value or a value out of range. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * Parses `argv` against `options`. Boolean flags that also take `=true` or
 * `=false`, as `--filesystem=false`, are declared as strings and read with
 * `flagValue`.
 */
export function parseFlags(argv: string[], options: Options) {
  try {
    return parseArgs({ args: normalizeBooleans(argv, options), options, strict: true, allowPositionals: false });
  } catch (error) {
    throw new UsageError(usageMessage(error as Error & { code?: string }));
  }
}

/** Rewrites a node:util parseArgs error as a lowercase message that names the flag. */
function usageMessage(error: Error & { code?: string }): string {
  const quoted = /'([^']*)'/.exec(error.message)?.[1] ?? '';
  const flag = quoted.split(' ')[0];
  switch (error.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown flag ${flag}`;
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `unexpected argument ${JSON.stringify(quoted)}; every value follows its flag, as in --image FILE`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      if (error.message.includes('ambiguous')) {
        return `${flag} needs a value; write ${flag}=VALUE for a value that starts with "-"`;
      }
      if (error.message.includes('does not take an argument')) return `${flag} takes no value`;
      return `${flag} needs a value`;
    default:
      return error.message.charAt(0).toLowerCase() + error.message.slice(1);
  }
}

/** Turns a bare `--flag` of a string-typed boolean flag into `--flag=true`. */
function normalizeBooleans(argv: string[], options: Options): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const name = arg.startsWith('--') ? arg.slice(2) : '';
    const option = options[name];
    const next = argv[i + 1];
    if (option?.type === 'string' && BOOLEAN_FLAGS.has(name) && (next === undefined || !/^(true|false)$/.test(next))) {
      out.push(`${arg}=true`);
    } else {
      out.push(arg);
    }
  }
  return out;
}

const BOOLEAN_FLAGS = new Set(['filesystem', 'stargz']);

/** Reads a true/false flag value. */
export function flagValue(name: string, value: string | undefined, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new UsageError(`--${name} must be true or false, got ${JSON.stringify(value)}`);
}

/** Reads a positive integer flag value, at most `max` when it is given. */
export function integerFlag(name: string, value: string | undefined, fallback: number, max?: number): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(number) || number <= 0) {
    throw new UsageError(`--${name} must be a positive integer, got ${JSON.stringify(value)}`);
  }
  if (max !== undefined && number > max) {
    throw new UsageError(`--${name} must be from 1 to ${max}, got ${number}`);
  }
  return number;
}
