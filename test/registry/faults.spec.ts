import { expect, test } from '@playwright/test';
import { RegistryError } from '../../lib/registry/errors';
import { pushImage } from '../../lib/registry/push';
import type { PushImageOptions } from '../../lib/registry/push';
import { startFaultProxy } from '../helpers/fault-proxy';
import type { FaultProxy } from '../helpers/fault-proxy';
import { startRegistry, waitForRegistryBinary } from '../helpers/registry';
import type { RegistryHandle } from '../helpers/registry';
import { readOCIImage } from './oci-fixture';
import { FAST_RETRY, basicAuth, expectNoDanglingTag, expectPushed, uniqueRepository } from './support';

const PART_SIZE = 256 * 1024;
const UPLOADS = /\/blobs\/uploads\//;
const MANIFESTS = /\/manifests\//;

/**
 * Every test pushes the tiny image through the fault proxy and then checks
 * that the tag, when it exists, names only stored blobs.
 */
test.describe('pushImage faults', () => {
  let registry: RegistryHandle;
  let tokenRegistry: RegistryHandle;
  let proxy: FaultProxy;
  let tokenProxy: FaultProxy;
  let repository: string;
  let warnings: string[];

  test.beforeAll(async () => {
    test.skip(!(await waitForRegistryBinary()), 'docker-registry is not installed');
    [registry, tokenRegistry] = await Promise.all([
      startRegistry(),
      startRegistry({ auth: 'token', token: { lifetimeSeconds: 300 } }),
    ]);
    proxy = await startFaultProxy(registry.host);
    tokenProxy = await startFaultProxy(tokenRegistry.host);
  });

  test.afterAll(async () => {
    await proxy?.close();
    await tokenProxy?.close();
    await Promise.all([registry?.stop(), tokenRegistry?.stop()]);
  });

  test.beforeEach(() => {
    proxy?.clear();
    tokenProxy?.clear();
    tokenRegistry?.tokenServer?.setLifetime(300);
    repository = uniqueRepository('faults');
    warnings = [];
  });

  test.afterEach(async () => {
    await expectNoDanglingTag(registry.host, repository, 'v1');
    const auth = basicAuth(tokenRegistry.users[0]);
    await expectNoDanglingTag(tokenRegistry.host, repository, 'v1', auth);
  });

  function options(host: string, extra: Partial<PushImageOptions> = {}): PushImageOptions {
    return {
      registry: host,
      repository,
      tag: 'v1',
      ...readOCIImage(),
      partSize: PART_SIZE,
      retry: FAST_RETRY,
      log: { debug() {}, info() {}, warn: (message) => warnings.push(message) },
      ...extra,
    };
  }

  function outcomes(method: string, path: RegExp): (number | string)[] {
    return proxy.requests.filter((r) => r.method === method && path.test(r.path)).map((r) => r.outcome);
  }

  test('should retry a part after a 500', async () => {
    proxy.inject({ method: 'PATCH', nth: 2, fault: { kind: 'status', status: 500 } });
    const result = await pushImage(options(proxy.host));

    expect(result.blobs.map((blob) => blob.outcome)).toEqual(['uploaded', 'uploaded']);
    expect(outcomes('PATCH', UPLOADS)).toEqual([202, 'status', 202, 202, 202, 202]);
    expect(outcomes('GET', UPLOADS)).toEqual([204]);
    expect(warnings.some((w) => w.includes('got 500'))).toBe(true);
    await expectPushed(registry.host, repository, 'v1', readOCIImage());
  });

  test('should honour Retry-After seconds on 429', async () => {
    proxy.inject({
      method: 'PUT',
      path: MANIFESTS,
      fault: { kind: 'status', status: 429, headers: { 'retry-after': '1' } },
    });
    const started = Date.now();
    await pushImage(options(proxy.host));

    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(outcomes('PUT', MANIFESTS)).toEqual(['status', 201]);
    expect(warnings.some((w) => w.includes('got 429') && w.includes('in 1000 ms'))).toBe(true);
    await expectPushed(registry.host, repository, 'v1', readOCIImage());
  });

  test('should honour Retry-After as an HTTP date', async () => {
    const date = new Date(Date.now() + 2000).toUTCString();
    proxy.inject({ method: 'HEAD', fault: { kind: 'status', status: 429, headers: { 'retry-after': date } } });
    const started = Date.now();
    await pushImage(options(proxy.host));

    // The date has whole seconds, so the wait is between 1 and 2 seconds.
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    await expectPushed(registry.host, repository, 'v1', readOCIImage());
  });

  test('should fail when Retry-After exceeds the limit', async () => {
    proxy.inject({ method: 'HEAD', fault: { kind: 'status', status: 429, headers: { 'retry-after': '120' } } });
    const error = await pushImage(options(proxy.host)).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(RegistryError);
    expect((error as RegistryError).status).toBe(429);
    expect((error as RegistryError).code).toBe('TOOMANYREQUESTS');
    expect((error as RegistryError).message).toMatch(/^checking blob sha256:\w+: HEAD \/v2\/.+ returned 429/);
  });

  test('should retry 503 replies to HEAD', async () => {
    proxy.inject({ method: 'HEAD', count: 3, fault: { kind: 'status', status: 503 } });
    await pushImage(options(proxy.host));

    expect(outcomes('HEAD', /\/blobs\//).slice(0, 4)).toEqual(['status', 'status', 'status', 404]);
    await expectPushed(registry.host, repository, 'v1', readOCIImage());
  });

  test('should restart an upload cut mid-part', async () => {
    proxy.inject({ method: 'PATCH', nth: 2, fault: { kind: 'cut', afterBytes: 1000 } });
    const result = await pushImage(options(proxy.host));

    // distribution 2.8 keeps the 1000 bytes but its upload state token still
    // names the old offset, so the status GET reports the upload invalid.
    expect(outcomes('PATCH', UPLOADS)[1]).toBe('cut');
    expect(outcomes('GET', UPLOADS)).toEqual([404]);
    expect(outcomes('POST', UPLOADS)).toEqual([202, 202, 202]);
    expect(warnings.some((w) => w.includes('restarting upload'))).toBe(true);
    expect(result.blobs[0].outcome).toBe('uploaded');
    await expectPushed(registry.host, repository, 'v1', readOCIImage());
  });

  test('should resume a part after a reset before any byte', async () => {
    proxy.inject({ method: 'PATCH', nth: 3, fault: { kind: 'reset' } });
    await pushImage(options(proxy.host));

    expect(outcomes('GET', UPLOADS)).toEqual([204]);
    expect(outcomes('POST', UPLOADS)).toEqual([202, 202]);
    await expectPushed(registry.host, repository, 'v1', readOCIImage());
  });

  test('should finish when the reply to the closing PUT is lost', async () => {
    proxy.inject({ method: 'PUT', path: UPLOADS, fault: { kind: 'drop-reply' } });
    await pushImage(options(proxy.host));

    const puts = outcomes('PUT', UPLOADS);
    expect(puts[0]).toBe('drop-reply');
    await expectPushed(registry.host, repository, 'v1', readOCIImage());
  });

  test('should restart an upload that the registry lost', async () => {
    const body = JSON.stringify({ errors: [{ code: 'BLOB_UPLOAD_UNKNOWN', message: 'blob upload unknown' }] });
    proxy.inject({ method: 'PATCH', nth: 2, fault: { kind: 'status', status: 404, body } });
    await pushImage(options(proxy.host));

    expect(outcomes('POST', UPLOADS)).toEqual([202, 202, 202]);
    await expectPushed(registry.host, repository, 'v1', readOCIImage());
  });

  test('should fail clearly when every part gets 500', async () => {
    proxy.inject({ method: 'PATCH', count: 1000, fault: { kind: 'status', status: 500 } });
    const error = await pushImage(options(proxy.host)).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(RegistryError);
    const registryError = error as RegistryError;
    expect(registryError.status).toBe(500);
    expect(registryError.temporary).toBe(true);
    expect(registryError.path).toMatch(/^\/v2\/faults\/.+\/blobs\/uploads\/[\w-]+$/);
    expect(registryError.message).toMatch(/^uploading sha256:\w+ at offset 0: PATCH \/v2\//);
    expect(registryError.message).toMatch(/ returned 500: UNAVAILABLE \(after 5 attempts\)$/);
    expect(registryError.message).not.toContain('_state');
    expect(await expectNoDanglingTag(registry.host, repository, 'v1')).toBe(false);
  });

  test('should leave no tag when the manifest PUT keeps failing', async () => {
    const body = JSON.stringify({ errors: [{ code: 'UNAVAILABLE', message: 'backend down' }] });
    proxy.inject({ method: 'PUT', path: MANIFESTS, count: 1000, fault: { kind: 'status', status: 503, body } });
    const error = await pushImage(options(proxy.host)).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(RegistryError);
    expect((error as RegistryError).message).toContain('returned 503: UNAVAILABLE: backend down (after 5 attempts)');
    expect(await expectNoDanglingTag(registry.host, repository, 'v1')).toBe(false);
  });

  test('should fail with no reply when connections keep dropping', async () => {
    proxy.inject({ method: 'POST', count: 1000, fault: { kind: 'reset' } });
    const error = await pushImage(options(proxy.host)).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(RegistryError);
    expect((error as RegistryError).status).toBe(0);
    expect((error as RegistryError).code).toBe('CONNECTION_FAILED');
    const message = (error as RegistryError).message;
    expect(message).toMatch(/^starting upload of sha256:\w+: POST \/v2\/\S+\/blobs\/uploads\/: /);
    expect(message).toMatch(/: no reply \(.+\) \(after 5 attempts\)$/);
  });

  test('should stop on abort without tagging', async () => {
    proxy.inject({ method: 'PATCH', nth: 2, fault: { kind: 'delay', ms: 1000 } });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    const push = pushImage(options(proxy.host, { signal: controller.signal }));
    const error = await push.catch((e: unknown) => e);

    expect((error as Error).name).toBe('AbortError');
    expect(await expectNoDanglingTag(registry.host, repository, 'v1')).toBe(false);
  });

  test('should fetch a new token once after a 401 mid-push', async () => {
    const auth = basicAuth(tokenRegistry.users[0]);
    const before = tokenRegistry.tokenServer!.requests.length;
    tokenProxy.inject({ method: 'PATCH', nth: 3, fault: { kind: 'strip-auth' } });
    await pushImage(options(tokenProxy.host, { auth }));

    const patches = tokenProxy.requests.filter((r) => r.method === 'PATCH').map((r) => r.outcome);
    expect(patches.slice(0, 4)).toEqual([202, 202, 401, 202]);
    expect(tokenRegistry.tokenServer!.requests.length - before).toBe(2);
    await expectPushed(tokenRegistry.host, repository, 'v1', readOCIImage(), auth);
  });

  test('should refresh a token that expires mid-push', async () => {
    const auth = basicAuth(tokenRegistry.users[0]);
    // The registry rejects tokens after 2 s, but the token reply sends
    // expires_in 300, so only the registry's 401 reveals the expiry.
    tokenRegistry.tokenServer!.setLifetime(2, 300);
    const before = tokenRegistry.tokenServer!.requests.length;
    tokenProxy.inject({ method: 'PATCH', nth: 2, fault: { kind: 'delay', ms: 2500 } });
    await pushImage(options(tokenProxy.host, { auth }));

    expect(tokenProxy.requests.some((r) => r.outcome === 401 && r.method === 'PATCH')).toBe(true);
    expect(tokenRegistry.tokenServer!.requests.length - before).toBeGreaterThanOrEqual(2);
    await expectPushed(tokenRegistry.host, repository, 'v1', readOCIImage(), auth);
  });

  test('should renew a token before its advertised expiry', async () => {
    const auth = basicAuth(tokenRegistry.users[0]);
    // The token reply sends expires_in 2 and the registry accepts tokens for
    // 4 s, so the delayed PATCH still passes and the next call renews first.
    tokenRegistry.tokenServer!.setLifetime(4, 2);
    tokenProxy.inject({ method: 'PATCH', nth: 2, fault: { kind: 'delay', ms: 2500 } });
    await pushImage(options(tokenProxy.host, { auth }));

    const unauthorized = tokenProxy.requests.filter((r) => r.outcome === 401);
    expect(unauthorized.map((r) => r.method)).toEqual(['HEAD']);
    await expectPushed(tokenRegistry.host, repository, 'v1', readOCIImage(), auth);
  });

  test('should fail with the token server message for bad credentials', async () => {
    const auth = { type: 'basic' as const, username: 'pusher', password: 'wrong' };
    const error = await pushImage(options(tokenProxy.host, { auth })).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(RegistryError);
    expect((error as RegistryError).status).toBe(401);
    expect((error as RegistryError).message).toBe(
      'fetching token: GET /token returned 401: UNAUTHORIZED: invalid username or password',
    );
  });
});
