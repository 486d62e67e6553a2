/** Runs the command line in this process and captures what it prints. */
import { main } from '../../lib/cli/main';

export interface CliRun {
  status: number;
  stdout: string;
  stderr: string;
}

export async function runCli(argv: string[]): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const status = await main(argv, { out: (line) => out.push(line), err: (line) => err.push(line) });
  return { status, stdout: out.join('\n'), stderr: err.join('\n') };
}
