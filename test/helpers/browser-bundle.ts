/**
 * Runs TypeScript modules in the browser under test: bundles an entry file
 * with esbuild and serves it from a small static server on 127.0.0.1.
 *
 *   const url = await serveBundle(new URL('./entry.ts', import.meta.url));
 *   await page.goto(url);
 *   const sum = await page.evaluate(async () => {
 *     const entry = await (window as unknown as BundleWindow<typeof import('./entry')>).bundle;
 *     return entry.add(1, 2);
 *   });
 *
 * The page imports the bundle as a module and keeps the import promise in
 * `window.bundle`, so a test reaches the entry's exports (and gets a failed
 * import as a rejection). `serveScript` returns the URL of a bundle itself,
 * for `new Worker(url, { type: 'module' })`. Page and scripts share one
 * origin per Playwright worker process, and each bundle is built once there.
 */
import { test as base } from '@playwright/test';
import { build } from 'esbuild';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export { expect } from '@playwright/test';

/** Shape of `window` in a page from serveBundle; `M` is the entry's module type. */
export interface BundleWindow<M> {
  bundle: Promise<M>;
}

/** A TypeScript or JavaScript entry file: a path (relative to the working directory) or a file URL. */
export type EntryFile = string | URL;

/** The static server behind the fixtures. */
export interface BundleServer {
  /** Origin of the server, such as http://127.0.0.1:40123. */
  readonly origin: string;
  /** Bundles `entry` and returns the URL of a page that imports it as a module. */
  pageURL(entry: EntryFile): Promise<string>;
  /** Bundles `entry` and returns the URL of the bundle, an ES module. */
  scriptURL(entry: EntryFile): Promise<string>;
  close(): Promise<void>;
}

interface Served {
  body: string;
  contentType: string;
}

/** Starts a bundle server on a random port of 127.0.0.1. */
export async function startBundleServer(): Promise<BundleServer> {
  const files = new Map<string, Served>();
  const bundles = new Map<string, Promise<string>>();
  const server = createServer((request, response) => respond(files, request, response));
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => done());
  });
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const scriptPath = (entry: EntryFile): Promise<string> => {
    const file = entryPath(entry);
    let path = bundles.get(file);
    if (!path) {
      path = bundle(file, `/bundles/${bundles.size + 1}-${stem(file)}.js`, files);
      bundles.set(file, path);
      // A failed build is not cached, so a fixed entry builds on the next call.
      path.catch(() => bundles.delete(file));
    }
    return path;
  };

  return {
    origin,
    async pageURL(entry) {
      const script = await scriptPath(entry);
      const page = script.replace(/^\/bundles\//, '/pages/').replace(/\.js$/, '.html');
      files.set(page, { body: pageHTML(script), contentType: 'text/html; charset=utf-8' });
      return origin + page;
    },
    async scriptURL(entry) {
      return origin + (await scriptPath(entry));
    },
    close() {
      server.closeAllConnections();
      return new Promise((done) => server.close(() => done()));
    },
  };
}

function entryPath(entry: EntryFile): string {
  return entry instanceof URL ? fileURLToPath(entry) : resolve(entry);
}

function stem(file: string): string {
  return basename(file).replace(/\.[cm]?[jt]sx?$/, '');
}

/** Builds `file` into one ES module and serves it at `path`; returns `path`. */
async function bundle(file: string, path: string, files: Map<string, Served>): Promise<string> {
  const result = await build({
    entryPoints: [file],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    sourcemap: 'inline',
    write: false,
    logLevel: 'silent',
  });
  const text = result.outputFiles.map((output) => output.text).join('\n');
  files.set(path, { body: text, contentType: 'text/javascript; charset=utf-8' });
  return path;
}

function pageHTML(script: string): string {
  return [
    '<!doctype html>',
    '<meta charset="utf-8">',
    `<title>${basename(script)}</title>`,
    `<script type="module">window.bundle = import(${JSON.stringify(script)});</script>`,
    '',
  ].join('\n');
}

function respond(files: Map<string, Served>, request: IncomingMessage, response: ServerResponse): void {
  const path = new URL(request.url ?? '/', 'http://127.0.0.1').pathname;
  const served = files.get(path);
  if (!served || (request.method !== 'GET' && request.method !== 'HEAD')) {
    response.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: ${path}`);
    return;
  }
  response.writeHead(200, {
    'content-type': served.contentType,
    'cache-control': 'no-store',
  });
  response.end(request.method === 'HEAD' ? undefined : served.body);
}

interface BundleFixtures {
  /** Bundles an entry and returns the URL of a page that imports it. */
  serveBundle: (entry: EntryFile) => Promise<string>;
  /** Bundles an entry and returns the URL of the bundle, e.g. for a worker. */
  serveScript: (entry: EntryFile) => Promise<string>;
}

/** Playwright's `test` with the `serveBundle` and `serveScript` fixtures. */
export const test = base.extend<BundleFixtures, { bundleServer: BundleServer }>({
  bundleServer: [
    async ({}, use) => {
      const server = await startBundleServer();
      await use(server);
      await server.close();
    },
    { scope: 'worker' },
  ],
  serveBundle: async ({ bundleServer }, use) => {
    await use((entry) => bundleServer.pageURL(entry));
  },
  serveScript: async ({ bundleServer }, use) => {
    await use((entry) => bundleServer.scriptURL(entry));
  },
});
