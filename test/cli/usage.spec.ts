import { expect, test } from '@playwright/test';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli';
import { repoPath } from '../fixtures/ingest/ingest-run';

const SAMPLE = repoPath('public/samples/tiny-tools.docker.tar');
const LAUNCHER = repoPath('scripts/chunked-containers.mjs');

/** Command names as the top-level usage lists them. */
async function listedCommands(): Promise<string[]> {
  const run = await runCli(['--help']);
  const section = run.stdout.split('commands:\n')[1].split('\n\n')[0];
  return section.split('\n').map((line) => line.trim().split(/\s+/)[0]);
}

interface ProcessRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the real launcher in a child process. With `stopReading`, closes its stdout after the first output. */
function launch(args: string[], stopReading = false): Promise<ProcessRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [LAUNCHER, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (data: Buffer) => {
      stdout += data.toString('utf8');
      if (stopReading) child.stdout.destroy();
    });
    child.stderr.on('data', (data: Buffer) => (stderr += data.toString('utf8')));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

test.describe('command line usage', () => {
  test('should print usage to stderr and exit 2 without a command', async () => {
    const run = await runCli([]);
    expect(run.status).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^usage: chunked-containers <command> \[flags\]/);
  });

  for (const flag of ['--help', '-h', 'help']) {
    test(`should print usage to stdout and exit 0 for ${flag}`, async () => {
      const run = await runCli([flag]);
      expect(run.status).toBe(0);
      expect(run.stderr).toBe('');
      expect(run.stdout).toMatch(/^usage: chunked-containers <command> \[flags\]/);
      expect(run.stdout).toContain("Run 'chunked-containers <command> --help'");
    });
  }

  test('should exit 2 for an unknown command', async () => {
    const run = await runCli(['chunkify']);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/^chunked-containers: unknown command "chunkify"\n\nusage:/);
  });

  test('should list chunk, compare and ls', async () => {
    expect(await listedCommands()).toEqual(expect.arrayContaining(['chunk', 'compare', 'ls']));
  });

  test('should print help for every command', async () => {
    const commands = await listedCommands();
    expect(commands.length).toBeGreaterThanOrEqual(3);
    for (const command of commands) {
      for (const flag of ['--help', '-h']) {
        const run = await runCli([command, flag]);
        expect(run.status, `${command} ${flag}`).toBe(0);
        expect(run.stderr, `${command} ${flag}`).toBe('');
        expect(run.stdout, `${command} ${flag}`).toMatch(new RegExp(`^usage: chunked-containers ${command} `));
        if (['chunk', 'compare', 'ls'].includes(command)) expect(run.stdout, `${command} ${flag}`).toContain('--image');
      }
    }
  });

  test('should describe every chunk flag in its help', async () => {
    const help = (await runCli(['chunk', '--help'])).stdout;
    for (const flag of ['--image', '--strategy', '--chunk-size-kb', '--min-kb', '--avg-kb', '--max-kb', '--filesystem', '--platform', '--store', '--json', '--verbose']) {
      expect(help).toContain(flag);
    }
  });
});

test.describe('chunk usage errors', () => {
  let work: string;
  test.beforeEach(async () => {
    work = await mkdtemp(join(tmpdir(), 'cli-usage-'));
  });
  test.afterEach(async () => {
    await rm(work, { recursive: true, force: true });
  });

  const cases: [string, string[], string][] = [
    ['a missing --image', [], '--image ARCHIVE is required'],
    ['--image without a value', ['--image'], '--image needs a value'],
    ['an unknown flag', ['--image', SAMPLE, '--chunk-size', '64'], 'unknown flag --chunk-size'],
    ['a positional argument', ['--image', SAMPLE, 'extra'], 'unexpected argument "extra"'],
    ['a bad --strategy', ['--image', SAMPLE, '--strategy', 'rabin'], '--strategy must be fixed-size, file-boundary or content-defined, got "rabin"'],
    ['a zero --chunk-size-kb', ['--image', SAMPLE, '--chunk-size-kb', '0'], '--chunk-size-kb must be a positive integer, got "0"'],
    ['a word for --chunk-size-kb', ['--image', SAMPLE, '--chunk-size-kb', 'big'], '--chunk-size-kb must be a positive integer, got "big"'],
    ['a fraction for --chunk-size-kb', ['--image', SAMPLE, '--chunk-size-kb', '1.5'], '--chunk-size-kb must be a positive integer, got "1.5"'],
    ['a huge --chunk-size-kb', ['--image', SAMPLE, '--chunk-size-kb', '100000'], '--chunk-size-kb must be from 1 to 65536, got 100000'],
    ['a huge --max-kb', ['--image', SAMPLE, '--strategy', 'content-defined', '--max-kb', '20000'], '--max-kb must be from 1 to 16384, got 20000'],
    ['descending content-defined sizes', ['--image', SAMPLE, '--strategy', 'content-defined', '--min-kb', '128', '--avg-kb', '64'], '--min-kb, --avg-kb and --max-kb must not descend, got 128, 64 and 256'],
    ['--filesystem=maybe', ['--image', SAMPLE, '--filesystem=maybe'], '--filesystem must be true or false, got "maybe"'],
    ['--filesystem maybe', ['--image', SAMPLE, '--filesystem', 'maybe'], 'unexpected argument "maybe"'],
    ['a value for --json', ['--image', SAMPLE, '--json=yes'], '--json takes no value'],
    ['a bad --platform', ['--image', SAMPLE, '--platform', 'linux'], '--platform must be OS/ARCH or OS/ARCH/VARIANT'],
  ];
  for (const [name, args, message] of cases) {
    test(`should exit 2 for ${name}`, async () => {
      const store = join(work, 'store');
      const run = await runCli(['chunk', ...args, '--store', store]);
      expect(run.status).toBe(2);
      expect(run.stdout).toBe('');
      const lines = run.stderr.split('\n');
      expect(lines).toHaveLength(2);
      expect(lines[0]).toMatch(/^chunked-containers chunk: /);
      expect(lines[0]).toContain(message);
      expect(lines[1]).toBe("Run 'chunked-containers chunk --help' for usage.");
      expect(existsSync(store), 'a usage error creates no store').toBe(false);
    });
  }
});

test.describe('ls usage errors', () => {
  const cases: [string, string[], string][] = [
    ['a missing --image', [], '--image ARCHIVE is required'],
    ['a word for --layer', ['--image', SAMPLE, '--layer', 'top'], '--layer must be a layer number from 0, got "top"'],
    ['a negative --layer', ['--image', SAMPLE, '--layer=-1'], '--layer must be a layer number from 0, got "-1"'],
    ['--layer with --merged', ['--image', SAMPLE, '--layer', '0', '--merged'], '--layer and --merged exclude each other'],
    ['an unknown flag', ['--image', SAMPLE, '--tree'], 'unknown flag --tree'],
  ];
  for (const [name, args, message] of cases) {
    test(`should exit 2 for ${name}`, async () => {
      const run = await runCli(['ls', ...args]);
      expect(run.status).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr).toBe(`chunked-containers ls: ${message}\nRun 'chunked-containers ls --help' for usage.`);
    });
  }
});

test.describe('command line process', () => {
  test('should exit with the status main returns', async () => {
    const work = await mkdtemp(join(tmpdir(), 'cli-process-'));
    try {
      const ok = await launch(['chunk', '--image', SAMPLE, '--store', join(work, 'store'), '--json']);
      expect(ok.stderr).toBe('');
      expect(ok.status).toBe(0);
      expect(JSON.parse(ok.stdout).layers).toHaveLength(2);
      const missing = await launch(['ls', '--image', join(work, 'missing.tar')]);
      expect(missing.status).toBe(1);
      expect(missing.stderr).toContain('missing.tar: no such file');
      const usage = await launch(['ls', '--bogus']);
      expect(usage.status).toBe(2);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  });

  test('should end quietly when the reader closes stdout early', async () => {
    const run = await launch(['ls', '--image', SAMPLE, '--json'], true);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
  });
});
