import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { RegistryError } from '../../lib/registry/errors';
import { pushImage } from '../../lib/registry/browser-push';
import type { BrowserPushOptions } from '../../lib/registry/browser-push';
import { REGISTRY_ROUTES, ROUTE_HEADERS, encodeRouteCredentials } from '../../lib/registry/wire';
import { startFaultProxy } from '../helpers/fault-proxy';
import type { FaultProxy } from '../helpers/fault-proxy';
import { startRegistry, waitForRegistryBinary } from '../helpers/registry';
import type { RegistryHandle } from '../helpers/registry';
import { readOCIImage } from './oci-fixture';
import { ROUTES_DIR, loadRoutes, routeNames } from './route-bundle';
import type { RouteTable } from './route-bundle';
import {
  basicAuth,
  expectPushed,
  hasSkopeo,
  skopeoInspectRaw,
  storedManifest,
  uniqueRepository,
} from './support';

const APP_ORIGIN = 'http://127.0.0.1:3107';
const PART_SIZE = 256 * 1024;
const ZERO_DIGEST = `sha256:${'0'.repeat(64)}`;

/** One route log line per registry call: method, host and path, status, digest, time. */
const CALL_LINE =
  /^registry (HEAD|GET|POST|PATCH|PUT) 127\.0\.0\.1:\d+\/\S+ \d{3}( sha256:[0-9a-f]{64})? \d+ms$/;

type RouteReply = { error?: { code: string; message: string } } & Record<string, unknown>;

/** Collects console output while `run` runs; the routes log through console. */
async function captureConsole<T>(run: () => Promise<T>): Promise<{ result: T; lines: string[] }> {
  const lines: string[] = [];
  const saved = { info: console.info, warn: console.warn, error: console.error, log: console.log };
  const record = (...args: unknown[]) => lines.push(args.map(String).join(' '));
  Object.assign(console, { info: record, warn: record, error: record, log: record });
  try {
    return { result: await run(), lines };
  } finally {
    Object.assign(console, saved);
  }
}

test.describe('registry routes', () => {
  let routes: RouteTable;
  let dispose: () => void;
  let plain: RegistryHandle;
  let token: RegistryHandle;
  let proxy: FaultProxy;
  let savedAllowlist: string | undefined;

  test.beforeAll(async () => {
    ({ routes, dispose } = await loadRoutes());
    test.skip(!(await waitForRegistryBinary()), 'docker-registry is not installed');
    [plain, token] = await Promise.all([startRegistry(), startRegistry({ auth: 'token' })]);
    proxy = await startFaultProxy(plain.host);
  });

  test.afterAll(async () => {
    await proxy?.close();
    await Promise.all([plain?.stop(), token?.stop()]);
    dispose?.();
  });

  test.beforeEach(() => {
    savedAllowlist = process.env.CHUNKED_CONTAINERS_ALLOWED_REGISTRIES;
    delete process.env.CHUNKED_CONTAINERS_ALLOWED_REGISTRIES;
    proxy?.clear();
  });

  test.afterEach(() => {
    if (savedAllowlist === undefined) delete process.env.CHUNKED_CONTAINERS_ALLOWED_REGISTRIES;
    else process.env.CHUNKED_CONTAINERS_ALLOWED_REGISTRIES = savedAllowlist;
  });

  /** Returns a fetch that passes requests to the route handlers, as a same-origin page sends them. */
  function appFetch(hook?: (url: URL, method: string) => void): typeof fetch {
    return async (input, init) => {
      const url = new URL(String(input));
      const method = init?.method ?? 'GET';
      hook?.(url, method);
      const headers = new Headers(init?.headers);
      headers.set('origin', APP_ORIGIN);
      headers.set('sec-fetch-site', 'same-origin');
      const handler = routes[url.pathname]?.[method];
      if (!handler) return new Response('no such route', { status: 404 });
      return handler(new Request(url, { method, headers, body: init?.body }));
    };
  }

  function browserOptions(host: string, extra: Partial<BrowserPushOptions> = {}): BrowserPushOptions {
    return {
      registry: host,
      repository: uniqueRepository('routes'),
      tag: 'v1',
      ...readOCIImage(),
      partSize: PART_SIZE,
      appURL: APP_ORIGIN,
      fetch: appFetch(),
      ...extra,
    };
  }

  /** Calls one route directly with the headers a page would send. */
  async function callRoute(
    path: string,
    method: string,
    headers: Record<string, string>,
    body?: BodyInit,
  ): Promise<{ status: number; json: RouteReply }> {
    const request = new Request(new URL(path, APP_ORIGIN), {
      method,
      headers: { origin: APP_ORIGIN, 'sec-fetch-site': 'same-origin', ...headers },
      body,
      duplex: 'half',
    } as RequestInit);
    const { result } = await captureConsole(() => routes[path][method](request));
    return { status: result.status, json: await result.json() };
  }

  function target(host: string, repository = 'routes/direct'): Record<string, string> {
    return { [ROUTE_HEADERS.registry]: host, [ROUTE_HEADERS.repository]: repository };
  }

  test('should push through the routes with token auth', async () => {
    const auth = basicAuth(token.users[0]);
    const options = browserOptions(token.host, { auth });
    const { lines } = await captureConsole(() => pushImage(options));

    await expectPushed(token.host, options.repository, 'v1', readOCIImage(), auth);
    const calls = lines.filter((line) => line.startsWith('registry '));
    expect(calls.length).toBeGreaterThan(6);
    for (const line of calls) {
      expect(line).toMatch(CALL_LINE);
    }
    const manifestPut = `PUT ${token.host}/v2/${options.repository}/manifests/v1 201`;
    expect(calls.some((line) => line.includes(manifestPut))).toBe(true);
    const log = lines.join('\n');
    expect(log).not.toContain(token.users[0].password);
    expect(log).not.toContain(encodeRouteCredentials(auth)!.slice('Basic '.length));
    expect(log).not.toMatch(/Basic |Bearer /);
    expect(log).not.toContain('_state');
    for (const issued of token.tokenServer!.issuedTokens) expect(log).not.toContain(issued);
    test.skip(!hasSkopeo(), 'skopeo is not installed');
    const raw = await skopeoInspectRaw(token.host, `${options.repository}:v1`, auth);
    expect(raw.equals(Buffer.from(readOCIImage().manifest.bytes))).toBe(true);
  });

  test('should fetch one token per push through the routes', async () => {
    const auth = basicAuth(token.users[0]);
    const before = token.tokenServer!.requests.length;
    const options = browserOptions(token.host, { auth });
    await captureConsole(() => pushImage(options));

    expect(token.tokenServer!.requests.length - before).toBe(1);
    const again = await captureConsole(() => pushImage(options));
    expect(again.result.blobs.map((blob) => blob.outcome)).toEqual(['skipped', 'skipped']);
    expect(token.tokenServer!.requests.length - before).toBe(1);
  });

  test('should retry registry 500s on the server', async () => {
    proxy.inject({ method: 'PATCH', nth: 2, fault: { kind: 'status', status: 500 } });
    const options = browserOptions(proxy.host);
    const { lines } = await captureConsole(() => pushImage(options));

    expect(lines.some((line) => / PATCH .* 500 sha256:/.test(line))).toBe(true);
    await expectPushed(plain.host, options.repository, 'v1', readOCIImage());
  });

  test('should resume a part after the app connection drops', async () => {
    let patches = 0;
    const options = browserOptions(plain.host, {
      fetch: appFetch((url) => {
        if (url.pathname === REGISTRY_ROUTES.uploadPart && ++patches === 2) {
          throw new TypeError('Failed to fetch');
        }
      }),
    });
    const { lines } = await captureConsole(() => pushImage(options));

    expect(lines.some((line) => /^registry GET .*\/blobs\/uploads\/\S+ 204/.test(line))).toBe(true);
    await expectPushed(plain.host, options.repository, 'v1', readOCIImage());
  });

  test('should map registry auth failures to 401 replies', async () => {
    const wrong = { type: 'basic' as const, username: 'pusher', password: 'wrong' };
    const reply = await callRoute(REGISTRY_ROUTES.blobExists, 'POST', {
      ...target(token.host),
      [ROUTE_HEADERS.digest]: ZERO_DIGEST,
      [ROUTE_HEADERS.authorization]: encodeRouteCredentials(wrong)!,
    });

    expect(reply.status).toBe(401);
    expect(reply.json.error).toEqual({
      code: 'UNAUTHORIZED',
      message: 'fetching token: GET /token returned 401: UNAUTHORIZED: invalid username or password',
    });
  });

  test('should fail a browser push with the route message', async () => {
    const options = browserOptions(token.host, { auth: { type: 'basic', username: 'pusher', password: 'wrong' } });
    const error = await captureConsole(() => pushImage(options)).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(RegistryError);
    expect((error as RegistryError).status).toBe(401);
    expect((error as RegistryError).code).toBe('UNAUTHORIZED');
    expect((error as RegistryError).message).toContain('invalid username or password');
  });

  test('should reject cross-site and origin-less requests', async () => {
    const headers = { ...target(plain.host), [ROUTE_HEADERS.digest]: ZERO_DIGEST };
    const path = REGISTRY_ROUTES.blobExists;
    const send = (extra: Record<string, string>) => {
      const init = { method: 'POST', headers: { ...headers, ...extra } };
      return captureConsole(() => routes[path].POST(new Request(new URL(path, APP_ORIGIN), init)));
    };

    const crossSite = (await send({ 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' })).result;
    expect(crossSite.status).toBe(403);
    expect((await crossSite.json()).error.code).toBe('CROSS_ORIGIN');
    const foreign = (await send({ origin: 'https://evil.example' })).result;
    expect(foreign.status).toBe(403);
    expect((await foreign.json()).error.message).toContain('origin https://evil.example is not this app');
    const bare = (await send({})).result;
    expect(bare.status).toBe(403);
    expect((await bare.json()).error.code).toBe('ORIGIN_MISSING');
  });

  test('should reject registries outside the allowlist', async () => {
    const headers = { [ROUTE_HEADERS.digest]: ZERO_DIGEST };
    const remote = await callRoute(REGISTRY_ROUTES.blobExists, 'POST', { ...target('registry.example.com'), ...headers });
    expect(remote.status).toBe(403);
    expect(remote.json.error?.code).toBe('REGISTRY_NOT_ALLOWED');
    expect(remote.json.error?.message).toContain('CHUNKED_CONTAINERS_ALLOWED_REGISTRIES');

    process.env.CHUNKED_CONTAINERS_ALLOWED_REGISTRIES = 'registry.example.com';
    const local = await callRoute(REGISTRY_ROUTES.blobExists, 'POST', { ...target(plain.host), ...headers });
    expect(local.status).toBe(403);

    // The token realm is on another port of 127.0.0.1, outside this list.
    process.env.CHUNKED_CONTAINERS_ALLOWED_REGISTRIES = token.host;
    const realm = await callRoute(REGISTRY_ROUTES.blobExists, 'POST', { ...target(token.host), ...headers });
    expect(realm.status).toBe(403);
    expect(realm.json.error?.message).toMatch(/fetching token: host 127\.0\.0\.1:\d+ is not an allowed registry/);
  });

  test('should reject oversized bodies with 413', async () => {
    const upload = {
      [ROUTE_HEADERS.uploadLocation]: `http://${plain.host}/v2/routes/direct/blobs/uploads/x`,
      [ROUTE_HEADERS.uploadOffset]: '0',
    };
    const part = await callRoute(
      REGISTRY_ROUTES.uploadPart,
      'PATCH',
      { ...target(plain.host), ...upload, 'content-type': 'application/octet-stream' },
      new Uint8Array((16 << 20) + 1),
    );
    expect(part.status).toBe(413);
    expect(part.json.error?.code).toBe('BODY_TOO_LARGE');

    const streamed = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.enqueue(new Uint8Array(1 << 20));
      },
    });
    const manifest = await callRoute(
      REGISTRY_ROUTES.manifest,
      'PUT',
      {
        ...target(plain.host),
        [ROUTE_HEADERS.reference]: 'v1',
        'content-type': 'application/vnd.oci.image.manifest.v1+json',
      },
      streamed,
    );
    expect(manifest.status).toBe(413);
    expect(manifest.json.error?.message).toBe('manifest: body of 5242880 bytes is larger than the 4194304-byte limit');
  });

  test('should reject malformed requests with 400 or 415', async () => {
    const base = target(plain.host);
    const elsewhere = await callRoute(
      REGISTRY_ROUTES.uploadPart,
      'PATCH',
      {
        ...base,
        'content-type': 'application/octet-stream',
        [ROUTE_HEADERS.uploadLocation]: 'http://169.254.169.254/v2/routes/direct/blobs/uploads/x',
        [ROUTE_HEADERS.uploadOffset]: '0',
      },
      new Uint8Array(10),
    );
    expect(elsewhere.status).toBe(400);
    expect(elsewhere.json.error?.code).toBe('UPLOAD_LOCATION_INVALID');

    const textPart = await callRoute(REGISTRY_ROUTES.uploadPart, 'PATCH', { ...base, 'content-type': 'text/plain' }, 'x');
    expect(textPart.status).toBe(415);

    const badName = await callRoute(REGISTRY_ROUTES.uploadStart, 'POST', target(plain.host, 'Bad Name'));
    expect(badName.status).toBe(400);
    expect(badName.json.error?.code).toBe('INVALID_INPUT');

    const noHost = await callRoute(REGISTRY_ROUTES.uploadStart, 'POST', { [ROUTE_HEADERS.repository]: 'a/b' });
    expect(noHost.json.error).toEqual({ code: 'HEADER_MISSING', message: 'missing request header x-registry-host' });

    const badCredentials = await callRoute(REGISTRY_ROUTES.uploadStart, 'POST', {
      ...base,
      [ROUTE_HEADERS.authorization]: 'Bearer abc',
    });
    expect(badCredentials.status).toBe(400);
  });

  test('should refuse a manifest whose blobs are missing', async () => {
    const image = readOCIImage();
    const repository = uniqueRepository('routes-missing');
    const reply = await callRoute(
      REGISTRY_ROUTES.manifest,
      'PUT',
      { ...target(plain.host, repository), [ROUTE_HEADERS.reference]: 'v1', 'content-type': image.manifest.mediaType },
      image.manifest.bytes as Uint8Array<ArrayBuffer>,
    );

    expect(reply.status).toBe(400);
    expect(reply.json.error?.code).toBe('MANIFEST_BLOB_UNKNOWN');
    expect(await storedManifest(plain.host, repository, 'v1')).toBeUndefined();
  });

  test('should import server-only in every route file', () => {
    const marker = readFileSync(join(ROUTES_DIR, '_lib', 'server-only.ts'), 'utf8');
    expect(marker).toMatch(/^import 'server-only';$/m);
    for (const name of routeNames()) {
      const source = readFileSync(join(ROUTES_DIR, name, 'route.ts'), 'utf8');
      expect(source.split('\n')[0], `${name}/route.ts`).toBe("import '../_lib/server-only';");
    }
  });
});
