/**
 * `npm run bench`: measures ingest, memory and eStargz on the benchmark
 * images in Chromium and in Node, beside casync and the estargz library,
 * prints a table and writes bench/results/<date>.json. See docs/benchmarks.md.
 *
 *   npm run bench [-- --parts=browser,node,estargz,casync] [--level=9]
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { runBrowser } from './browser';
import { runCasync } from './casync';
import { buildOwn, buildWithLibrary, goTool, packageVersion } from './estargz';
import { layerTars, run } from './files';
import { MAKE_IMAGES_HINT, madeImages, sampleImages, type BenchInput } from './images';
import { runNode } from './node';
import { derive, type Measured } from './report';
import { aimLines, formatTable, tableRows } from './table';

const PARTS = ['browser', 'node', 'estargz', 'casync'] as const;
type Part = (typeof PARTS)[number];

const USAGE = `usage: npm run bench [-- --parts=${PARTS.join(',')}] [--level=N] [--out=FILE]`;

interface Unavailable {
  unavailable: string;
}

function log(line: string): void {
  process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${line}\n`);
}

async function machine(browserVersion: string | undefined, loadBefore: number[]) {
  const lsb = await run('sh', ['-c', '. /etc/os-release && echo "$PRETTY_NAME"']);
  return {
    cores: availableParallelism(),
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryBytes: totalmem(),
    os: lsb.stdout.trim(),
    node: process.version,
    chromium: browserVersion ?? 'not run',
    estargzLibrary: packageVersion('golang-github-containerd-stargz-snapshotter-dev'),
    casync: packageVersion('casync'),
    go: (await run('go', ['version'])).stdout.trim() || 'not installed',
    // 1, 5 and 15 minute load averages: other work on the machine skews every figure.
    loadAverageBefore: loadBefore,
    loadAverageAfter: loadavg(),
  };
}

async function guarded<T>(what: string, work: () => Promise<T>): Promise<T | Unavailable> {
  try {
    return await work();
  } catch (error) {
    log(`${what} failed: ${(error as Error).stack ?? error}`);
    return { unavailable: `${what} failed: ${(error as Error).message.split('\n')[0]}` };
  }
}

const ok = <T extends object>(value: T | Unavailable | undefined): T | undefined =>
  value && !('unavailable' in value) ? value : undefined;

async function measure(input: BenchInput, parts: Set<Part>, level: number, scratch: string) {
  const results: Record<string, unknown> = {};
  if (parts.has('browser')) results.browser = await guarded('chromium', () => runBrowser(input, { level, log }));
  if (parts.has('node')) results.node = await guarded('node', () => runNode(input, log));
  const needTars = parts.has('estargz') || parts.has('casync');
  const tars = needTars ? await layerTars(input.base, join(scratch, 'layers')) : [];
  if (parts.has('estargz')) {
    log(`node: eStargz of ${tars.length} layers, level ${level}, one process per core`);
    results.estargz = await guarded('eStargz build', () => buildOwn(input.base.archive, tars, join(scratch, 'estargz'), level));
    const tool = await goTool();
    if ('path' in tool) {
      log(`estargz library: estargz.Build, ${availableParallelism()} parts`);
      results.library = await guarded('estargz library', () =>
        buildWithLibrary(tool.path, tars, join(scratch, 'estargz'), level, availableParallelism()),
      );
    } else {
      results.library = tool;
    }
  }
  if (parts.has('casync')) {
    log('casync make on the same layers');
    results.casync = await guarded('casync', () => runCasync(tars, scratch));
  }
  return results;
}

/** Runs the benchmark; returns the exit status. */
export async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { parts: { type: 'string' }, level: { type: 'string' }, out: { type: 'string' }, help: { type: 'boolean' } },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const parts = new Set((values.parts ?? PARTS.join(',')).split(',') as Part[]);
  const unknown = [...parts].filter((p) => !PARTS.includes(p));
  if (unknown.length > 0) {
    process.stderr.write(`bench: unknown part ${unknown.join(', ')}\n${USAGE}\n`);
    return 2;
  }
  const level = Number(values.level ?? 9);
  let input = madeImages();
  if (!input) {
    process.stderr.write(`${MAKE_IMAGES_HINT}\n\n`);
    input = sampleImages();
  }
  const started = performance.now();
  const loadBefore = loadavg();
  const scratch = await mkdtemp(join(tmpdir(), 'cc-bench-'));
  let results: Record<string, unknown>;
  try {
    results = await measure(input, parts, level, scratch);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  const measured: Measured = {
    browser: ok(results.browser as Measured['browser'] | Unavailable),
    node: ok(results.node as Measured['node'] | Unavailable),
    own: ok(results.estargz as Measured['own'] | Unavailable),
    library: ok(results.library as Measured['library'] | Unavailable),
    casync: ok(results.casync as Measured['casync'] | Unavailable),
    cores: availableParallelism(),
  };
  const derived = derive(measured);
  const report = {
    date: new Date().toISOString(),
    seconds: (performance.now() - started) / 1000,
    machine: await machine(measured.browser?.chromiumVersion, loadBefore),
    input,
    level,
    ...results,
    derived,
  };
  const out = resolve(values.out ?? join('bench', 'results', `${report.date.slice(0, 10)}.json`));
  await mkdir(resolve(out, '..'), { recursive: true });
  await writeFile(out, `${JSON.stringify(report, null, 2)}\n`);

  const m = report.machine;
  process.stdout.write(
    `${m.cpuModel}, ${m.cores} cores, ${(m.memoryBytes / 2 ** 30).toFixed(0)} GiB, ${m.os}, ` +
      `Chromium ${m.chromium}, Node ${m.node}; input: ${input.kind === 'made' ? input.folder : 'bundled samples'}\n` +
      `load average before ${m.loadAverageBefore.map((x) => x.toFixed(1)).join(' ')}, after ${m.loadAverageAfter.map((x) => x.toFixed(1)).join(' ')}\n\n`,
  );
  process.stdout.write(`${formatTable(tableRows(measured, derived))}\n\n`);
  for (const [name, value] of Object.entries(results)) {
    if (value && typeof value === 'object' && 'unavailable' in value) {
      process.stdout.write(`${name}: not available: ${(value as Unavailable).unavailable}\n`);
    }
  }
  for (const line of aimLines(derived)) process.stdout.write(`${line}\n`);
  process.stdout.write(`\nwrote ${out} (${report.seconds.toFixed(0)} s)\n`);
  return 0;
}
