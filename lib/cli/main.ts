/**
 * The command line: `chunked-containers <command> [flags]`. Exit status 0 on
 * success, 1 on bad input (an archive, a registry reply), 2 on bad usage.
 */
import { isAbortError } from '../core/errors';
import { UsageError } from './args';
import { chunkCommand } from './chunk';
import { compareCommand } from './compare';
import { lsCommand } from './ls';
import { pushCommand } from './push';

export interface Output {
  out: (line: string) => void;
  err: (line: string) => void;
}

type Command = (argv: string[], output: Output) => Promise<number>;

const COMMANDS: Record<string, { run: Command; summary: string }> = {
  chunk: { run: chunkCommand, summary: 'chunk every layer of an image archive into the chunk store' },
  compare: { run: compareCommand, summary: 'index images with several strategies and compare chunk counts, storage and update costs' },
  ls: { run: lsCommand, summary: 'list the entries of a layer, or of the merged filesystem, like tar -tv' },
  push: { run: pushCommand, summary: 'push an image archive, or its eStargz conversion, to a registry' },
};

export const USAGE = `usage: chunked-containers <command> [flags]

commands:
${Object.entries(COMMANDS)
  .map(([name, command]) => `  ${name.padEnd(10)}${command.summary}`)
  .join('\n')}

Run 'chunked-containers <command> --help' for the flags of a command.`;

/**
 * Returns output to the process's stdout and stderr. When the reader of
 * stdout closes it early, as `| head` does, the process ends with status 0
 * instead of failing on EPIPE.
 */
export function processOutput(): Output {
  process.stdout.on('error', (error: Error & { code?: string }) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(0);
  });
  return {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
  };
}

/** Runs the command line and returns its exit status. */
export async function main(argv: string[], output: Output = processOutput()): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    (name === undefined ? output.err : output.out)(USAGE);
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    output.err(`chunked-containers: unknown command ${JSON.stringify(name)}\n\n${USAGE}`);
    return 2;
  }
  try {
    return await command.run(rest, output);
  } catch (error) {
    if (error instanceof UsageError) {
      output.err(`chunked-containers ${name}: ${error.message}`);
      output.err(`Run 'chunked-containers ${name} --help' for usage.`);
      return 2;
    }
    if (isAbortError(error)) {
      output.err(`chunked-containers ${name}: cancelled`);
      return 130;
    }
    const e = error as Error & { code?: string };
    output.err(`chunked-containers ${name}: ${e.message}`);
    if (process.env.CHUNKED_CONTAINERS_DEBUG) output.err(e.stack ?? '');
    return 1;
  }
}
