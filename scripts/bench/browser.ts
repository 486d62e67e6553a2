/**
 * The Chromium half of the benchmark. It measures the stage limits on one
 * thread, then the import through the worker pool with 1 worker and with one
 * per core for each strategy, and the variant imported after the base. Then
 * it converts the stored image to eStargz and measures peak memory for the
 * base image and the double one. Bundles come from
 * test/helpers/browser-bundle.ts, and the page entry is test/bench-page/entry.ts.
 */
import { availableParallelism } from 'node:os';
import { chromium, type Browser, type Page } from '@playwright/test';
import { startBundleServer, type BundleServer } from '../../test/helpers/browser-bundle';
import { STRATEGY_NAMES } from '../../lib/core/chunk/params';
import type { StrategyName } from '../../lib/core/chunk/strategy';
import type { BenchInput } from './images';
import { MemorySampler, type MemoryFigures } from './memory';
import type { ConvertFigures } from '../../test/bench-page/estargz';
import type { IngestFigures, LimitFigures } from '../../test/bench-page/entry';

type Entry = typeof import('../../test/bench-page/entry');
type EStargzEntry = typeof import('../../test/bench-page/estargz');

/** Chromium: CHROMIUM_PATH, else Debian's, as in test/playwright.config.ts. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** The flags of test/playwright.config.ts plus precise performance.memory. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--enable-precise-memory-info',
];

export interface IngestRun extends IngestFigures {
  strategy: StrategyName;
  workers: number;
}

export interface BrowserFigures {
  chromiumVersion: string;
  cores: number;
  limits: LimitFigures;
  ingest: IngestRun[];
  /** The variant imported into the store that contains the base (content-defined, one worker per core). */
  variant?: IngestRun;
  estargz: ConvertFigures | { unavailable: string };
  memory: { image: string; uncompressedBytes: number; ingest: IngestRun; memory: MemoryFigures }[];
}

interface Session {
  browser: Browser;
  page: Page;
}

async function openSession(server: BundleServer, files: string[]): Promise<Session> {
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  const page = await browser.newPage();
  page.on('pageerror', (error) => process.stderr.write(`bench page error: ${error.message}\n`));
  await page.goto(await server.pageURL('test/bench-page/entry.ts'));
  const workerURL = await server.scriptURL('lib/worker/import.worker.ts');
  await page.evaluate(async (url) => {
    const entry = await (window as unknown as { bundle: Promise<Entry> }).bundle;
    entry.addFileInput();
    entry.routeImportWorker(url);
  }, workerURL);
  await page.setInputFiles('input[type=file]', files);
  return { browser, page };
}

function callEntry<K extends keyof Entry>(
  page: Page,
  name: K,
  ...args: Parameters<Entry[K]>
): Promise<Awaited<ReturnType<Entry[K]>>> {
  return page.evaluate(
    async ({ name, args }) => {
      const entry = await (window as unknown as { bundle: Promise<Entry> }).bundle;
      const run = entry[name] as (...a: unknown[]) => unknown;
      return run(...args);
    },
    { name, args: args as unknown[] },
  ) as Promise<Awaited<ReturnType<Entry[K]>>>;
}

async function runIngest(
  page: Page,
  strategy: StrategyName,
  workers: number,
  options: { databaseName: string; fileIndex?: number; fresh?: boolean },
): Promise<IngestRun> {
  const figures = await callEntry(page, 'ingest', { ...options, strategy, workers });
  return { ...figures, strategy, workers };
}

async function runEStargz(
  server: BundleServer,
  page: Page,
  databaseName: string,
  recordKey: string,
  level: number,
): Promise<ConvertFigures | { unavailable: string }> {
  let script: string;
  try {
    script = await server.scriptURL('test/bench-page/estargz.ts');
  } catch (error) {
    return { unavailable: `bundling the eStargz page failed: ${(error as Error).message.split('\n')[0]}` };
  }
  try {
    return await page.evaluate(
      async ({ script, databaseName, recordKey, level }) => {
        const entry = (await import(script)) as EStargzEntry;
        return entry.convertImage(databaseName, recordKey, level);
      },
      { script, databaseName, recordKey, level },
    );
  } catch (error) {
    return { unavailable: `converting failed: ${(error as Error).message.split('\n')[0]}` };
  }
}

export interface BrowserOptions {
  /** Gzip level of the eStargz figures. */
  level: number;
  log: (line: string) => void;
}

/** Runs every browser figure on `input`. */
export async function runBrowser(input: BenchInput, options: BrowserOptions): Promise<BrowserFigures> {
  const cores = availableParallelism();
  const log = options.log;
  const server = await startBundleServer();
  try {
    const files = [input.base.archive, ...(input.variant ? [input.variant.archive] : [])];
    const session = await openSession(server, files);
    const figures: Partial<BrowserFigures> = { chromiumVersion: session.browser.version(), cores };
    try {
      log('chromium: stage limits on one thread');
      figures.limits = await callEntry(session.page, 'measureLimits', 'bench-limits');
      figures.ingest = [];
      let converted: BrowserFigures['estargz'] = { unavailable: 'no file-boundary import ran' };
      for (const strategy of STRATEGY_NAMES) {
        for (const workers of [...new Set([1, cores])]) {
          const databaseName = `bench-${strategy}-${workers}`;
          log(`chromium: import ${input.base.name}, ${strategy}, ${workers} worker(s)`);
          const run = await runIngest(session.page, strategy, workers, { databaseName });
          figures.ingest.push(run);
          if (workers === cores && strategy === 'content-defined' && input.variant) {
            log(`chromium: import ${input.variant.name} after it`);
            figures.variant = await runIngest(session.page, strategy, workers, {
              databaseName,
              fileIndex: 1,
              fresh: false,
            });
          }
          if (workers === cores && strategy === 'file-boundary') {
            log(`chromium: eStargz from the stored chunks, level ${options.level}`);
            converted = await runEStargz(server, session.page, databaseName, run.recordKey, options.level);
          }
          await callEntry(session.page, 'dropDatabase', databaseName);
        }
      }
      figures.estargz = converted;
    } finally {
      await session.browser.close();
    }
    figures.memory = [];
    for (const image of [input.base, ...(input.double ? [input.double] : [])]) {
      log(`chromium: peak memory importing ${image.name}`);
      figures.memory.push(await measureMemory(server, image.archive, image.name, cores));
    }
    return figures as BrowserFigures;
  } finally {
    await server.close();
  }
}

/** Imports one image in a fresh browser with one worker per core while sampling memory. */
async function measureMemory(
  server: BundleServer,
  archive: string,
  name: string,
  cores: number,
): Promise<BrowserFigures['memory'][number]> {
  const session = await openSession(server, [archive]);
  try {
    const sampler = await MemorySampler.start(session.browser, session.page);
    let ingest: IngestRun;
    try {
      ingest = await runIngest(session.page, 'content-defined', cores, { databaseName: 'bench-memory' });
    } catch (error) {
      await sampler.stop();
      throw error;
    }
    const memory = await sampler.stop();
    await callEntry(session.page, 'dropDatabase', 'bench-memory');
    return { image: name, uncompressedBytes: ingest.uncompressedBytes, ingest, memory };
  } finally {
    await session.browser.close();
  }
}
