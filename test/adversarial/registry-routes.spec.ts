/**
 * The registry push routes under hostile requests: registry hosts that try
 * to reach another address, forged origins, header injection and
 * credentials. The global fetch is replaced by a recorder that never
 * connects, so the test records every request that would leave the server.
 */
import { expect, test } from '@playwright/test';
import { REGISTRY_ROUTES, ROUTE_HEADERS } from '../../lib/registry/wire';
import { loadRoutes } from '../registry/route-bundle';
import type { RouteTable } from '../registry/route-bundle';

const APP_ORIGIN = 'http://127.0.0.1:3107';
const ZERO_DIGEST = `sha256:${'0'.repeat(64)}`;
const SECRET = 'hunter2-route-secret';

test.describe('registry routes with hostile requests', () => {
  let routes: RouteTable;
  let dispose: () => void;
  const sent: URL[] = [];
  const logged: string[] = [];
  const saved = { fetch: globalThis.fetch, info: console.info, warn: console.warn, error: console.error };
  let savedAllowlist: string | undefined;

  test.beforeAll(async () => {
    ({ routes, dispose } = await loadRoutes());
    savedAllowlist = process.env.CHUNKED_CONTAINERS_ALLOWED_REGISTRIES;
    delete process.env.CHUNKED_CONTAINERS_ALLOWED_REGISTRIES;
    globalThis.fetch = (async (input: RequestInfo | URL) => {
      sent.push(new URL(input instanceof Request ? input.url : String(input)));
      return new Response('{"errors":[{"code":"DENIED","message":"recorder"}]}', { status: 403 });
    }) as typeof fetch;
    const record = (...args: unknown[]) => logged.push(args.map(String).join(' '));
    Object.assign(console, { info: record, warn: record, error: record });
  });

  test.afterAll(() => {
    Object.assign(globalThis, { fetch: saved.fetch });
    Object.assign(console, { info: saved.info, warn: saved.warn, error: saved.error });
    if (savedAllowlist !== undefined) process.env.CHUNKED_CONTAINERS_ALLOWED_REGISTRIES = savedAllowlist;
    dispose?.();
  });

  test.beforeEach(() => {
    sent.length = 0;
    logged.length = 0;
  });

  async function blobExists(headers: Record<string, string>) {
    const request = new Request(new URL(REGISTRY_ROUTES.blobExists, APP_ORIGIN), {
      method: 'POST',
      headers: {
        origin: APP_ORIGIN,
        'sec-fetch-site': 'same-origin',
        [ROUTE_HEADERS.repository]: 'team/app',
        [ROUTE_HEADERS.digest]: ZERO_DIGEST,
        ...headers,
      },
    });
    const response = await routes[REGISTRY_ROUTES.blobExists].POST(request);
    return { status: response.status, error: ((await response.json()) as { error?: { code: string } }).error };
  }

  const hostile = [
    '127.0.0.1@evil.example',
    'user:pass@127.0.0.1',
    '[::ffff:169.254.169.254]',
    '[0:0:0:0:0:ffff:a9fe:a9fe]',
    '169.254.169.254',
    '2852039166',
    '0xa9.0xfe.0xa9.0xfe',
    '[fe80::1%25eth0]',
    '[fe80::1%eth0]',
    '0.0.0.0',
    'localhost.',
    '127.0.0.1.nip.io',
    'metadata.google.internal',
    '127.0.0.1#@evil.example',
    '127.0.0.1\\@evil.example',
    '127.0.0.1:99999',
  ];
  for (const host of hostile) {
    test(`should reject registry ${host} before any request leaves`, async () => {
      const reply = await blobExists({ [ROUTE_HEADERS.registry]: host });
      expect([400, 403]).toContain(reply.status);
      expect(['INVALID_INPUT', 'REGISTRY_NOT_ALLOWED']).toContain(reply.error?.code);
      expect(sent.map(String)).toEqual([]);
    });
  }

  test('should send loopback spellings to 127.0.0.1 only', async () => {
    for (const host of ['0x7f.1', '2130706433', '127.1', '0177.0.0.1']) {
      await blobExists({ [ROUTE_HEADERS.registry]: host });
    }
    expect(sent.length).toBeGreaterThan(0);
    expect([...new Set(sent.map((url) => url.hostname))]).toEqual(['127.0.0.1']);
  });

  test('should reject forged origins', async () => {
    const target = { [ROUTE_HEADERS.registry]: '127.0.0.1:9' };
    const forged: Record<string, string>[] = [
      { origin: 'null' },
      { origin: `${APP_ORIGIN}.evil.example` },
      { origin: APP_ORIGIN, 'sec-fetch-site': 'same-site' },
      { origin: APP_ORIGIN, 'sec-fetch-site': 'none' },
      { origin: 'http://evil.example', host: 'evil.example', 'sec-fetch-site': '' },
    ];
    for (const headers of forged) {
      const request = new Request(new URL(REGISTRY_ROUTES.blobExists, APP_ORIGIN), {
        method: 'POST',
        headers: { [ROUTE_HEADERS.repository]: 'team/app', [ROUTE_HEADERS.digest]: ZERO_DIGEST, ...target, ...headers },
      });
      const response = await routes[REGISTRY_ROUTES.blobExists].POST(request);
      expect(response.status, JSON.stringify(headers)).toBe(403);
    }
    expect(sent).toEqual([]);
  });

  test('should reject CR and LF in repository names and tags', async () => {
    expect(() => new Headers({ [ROUTE_HEADERS.repository]: 'team/app\r\nx-evil: 1' })).toThrow();
    const reply = await blobExists({ [ROUTE_HEADERS.registry]: '127.0.0.1:9', [ROUTE_HEADERS.repository]: 'team/app%0d%0ax' });
    expect(reply.status).toBe(400);
    const request = new Request(new URL(REGISTRY_ROUTES.manifest, APP_ORIGIN), {
      method: 'PUT',
      headers: {
        origin: APP_ORIGIN,
        'sec-fetch-site': 'same-origin',
        'content-type': 'application/vnd.oci.image.manifest.v1+json',
        [ROUTE_HEADERS.registry]: '127.0.0.1:9',
        [ROUTE_HEADERS.repository]: 'team/app',
        [ROUTE_HEADERS.reference]: 'v1%0d%0aX-Evil:1',
      },
      body: '{}',
    });
    expect((await routes[REGISTRY_ROUTES.manifest].PUT(request)).status).toBe(400);
    expect(sent).toEqual([]);
  });

  test('should keep credentials out of replies and logs', async () => {
    const credentials = `Basic ${Buffer.from(`alice:${SECRET}`).toString('base64')}`;
    const reply = await blobExists({ [ROUTE_HEADERS.registry]: '127.0.0.1:9', [ROUTE_HEADERS.authorization]: credentials });
    expect(reply.status).toBe(403);
    const text = JSON.stringify(reply) + logged.join('\n');
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain(credentials.slice('Basic '.length));
  });
});
