/**
 * Loads the registry route modules (app/api/registry/<step>/route.ts) in Node
 * as Next.js would run them. They import 'server-only', which resolves only
 * inside Next's bundler, so esbuild bundles them here with that import mapped
 * to an empty module. The bundle is built once per test worker; code
 * splitting keeps one shared copy of the handlers and their auth cache.
 */
import { build } from 'esbuild';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROUTES_DIR = fileURLToPath(new URL('../../app/api/registry/', import.meta.url));

export type RouteHandler = (request: Request) => Promise<Response>;

/** Route modules by path (`/api/registry/upload-part`), then by HTTP method. */
export type RouteTable = Record<string, Record<string, RouteHandler>>;

let loaded: Promise<{ routes: RouteTable; dispose(): void }> | undefined;

/** Returns the route table, bundling the routes on first use. */
export function loadRoutes(): Promise<{ routes: RouteTable; dispose(): void }> {
  loaded ??= bundleRoutes();
  return loaded;
}

/** Returns the step names that have a route.ts. */
export function routeNames(): string[] {
  return readdirSync(ROUTES_DIR, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && !entry.name.startsWith('_'))
    .map((entry) => entry.name)
    .sort();
}

async function bundleRoutes(): Promise<{ routes: RouteTable; dispose(): void }> {
  const outdir = mkdtempSync(join(tmpdir(), 'cc-routes-'));
  const names = routeNames();
  await build({
    entryPoints: names.map((name) => ({ in: join(ROUTES_DIR, name, 'route.ts'), out: name })),
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    outdir,
    outExtension: { '.js': '.mjs' },
    logLevel: 'silent',
    plugins: [
      {
        name: 'server-only-stub',
        setup(builder) {
          builder.onResolve({ filter: /^server-only$/ }, () => ({
            path: 'server-only',
            namespace: 'server-only-stub',
          }));
          builder.onLoad({ filter: /.*/, namespace: 'server-only-stub' }, () => ({
            contents: '',
            loader: 'js',
          }));
        },
      },
    ],
  });
  const routes: RouteTable = {};
  for (const name of names) {
    const module = (await import(pathToFileURL(join(outdir, `${name}.mjs`)).href)) as Record<
      string,
      RouteHandler
    >;
    routes[`/api/registry/${name}`] = module;
  }
  return { routes, dispose: () => rmSync(outdir, { recursive: true, force: true }) };
}
