import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { InvalidInputError, SizeMismatchError, UnsupportedError } from '../../lib/core/errors';
import { getManifest } from '../../lib/registry/client';
import { RegistryError } from '../../lib/registry/errors';
import { pushImage } from '../../lib/registry/push';
import type { PushProgress } from '../../lib/registry/push-flow';
import type { RegistryCall } from '../../lib/registry/transport';
import { createSession } from '../../lib/registry/transport';
import { startRegistry, waitForRegistryBinary } from '../helpers/registry';
import type { RegistryHandle } from '../helpers/registry';
import { digestOf, readOCIImage, syntheticImage } from './oci-fixture';
import {
  FAST_RETRY,
  basicAuth,
  expectPushed,
  hasSkopeo,
  skopeoCopyToLayout,
  skopeoInspect,
  skopeoInspectRaw,
  storedManifest,
  uniqueRepository,
} from './support';

const PART_SIZE = 256 * 1024;

test.describe('pushImage', () => {
  let plain: RegistryHandle;
  let basic: RegistryHandle;
  let token: RegistryHandle;
  let relative: RegistryHandle;

  test.beforeAll(async () => {
    test.skip(!(await waitForRegistryBinary()), 'docker-registry is not installed');
    [plain, basic, token, relative] = await Promise.all([
      startRegistry(),
      startRegistry({ auth: 'htpasswd' }),
      startRegistry({ auth: 'token' }),
      startRegistry({ relativeURLs: true }),
    ]);
  });

  test.afterAll(async () => {
    await Promise.all([plain, basic, token, relative].map((r) => r?.stop()));
  });

  test('should push the tiny image without auth', async () => {
    const image = readOCIImage();
    const repository = uniqueRepository('plain');
    const calls: RegistryCall[] = [];
    const progress: PushProgress[] = [];
    const result = await pushImage({
      registry: plain.host,
      repository,
      tag: 'v1',
      ...image,
      partSize: PART_SIZE,
      onCall: (call) => calls.push(call),
      onProgress: (event) => progress.push(event),
    });

    expect(result.reference).toBe(`${plain.host}/${repository}:v1`);
    expect(result.manifestDigest).toBe(digestOf(image.manifest.bytes));
    expect(result.blobs).toEqual([
      { digest: image.layers[0].digest, outcome: 'uploaded', bytes: image.layers[0].size },
      { digest: image.config.digest, outcome: 'uploaded', bytes: image.config.bytes.length },
    ]);
    const patches = calls.filter((call) => call.method === 'PATCH');
    expect(patches).toHaveLength(Math.ceil(image.layers[0].size / PART_SIZE));
    expect(calls[calls.length - 1]).toMatchObject({ method: 'PUT', status: 201 });
    expect(calls[calls.length - 1].path).toBe(`/v2/${repository}/manifests/v1`);
    const layerDone = progress.filter((p) => p.blob === 'layer' && p.phase === 'uploading');
    expect(layerDone[layerDone.length - 1].bytesDone).toBe(image.layers[0].size);
    expect(progress[progress.length - 1]).toMatchObject({ blob: 'manifest', phase: 'done' });
    await expectPushed(plain.host, repository, 'v1', image);
  });

  test('should upload nothing when pushing again', async () => {
    const image = readOCIImage();
    const repository = uniqueRepository('again');
    const options = { registry: plain.host, repository, tag: 'v1', ...image, partSize: PART_SIZE };
    await pushImage(options);
    const calls: RegistryCall[] = [];

    const again = await pushImage({ ...options, onCall: (call) => calls.push(call) });

    expect(again.blobs.map((blob) => blob.outcome)).toEqual(['skipped', 'skipped']);
    expect(again.blobs.reduce((sum, blob) => sum + blob.bytes, 0)).toBe(0);
    expect(calls.map((call) => call.method)).toEqual(['HEAD', 'HEAD', 'PUT']);
  });

  test('should read back identical bytes with skopeo', async () => {
    test.skip(!hasSkopeo(), 'skopeo is not installed');
    const image = readOCIImage();
    const repository = uniqueRepository('skopeo');
    const result = await pushImage({
      registry: plain.host,
      repository,
      tag: 'v1',
      ...image,
      partSize: PART_SIZE,
    });

    const raw = await skopeoInspectRaw(plain.host, `${repository}:v1`);
    expect(raw.equals(Buffer.from(image.manifest.bytes))).toBe(true);
    const inspected = await skopeoInspect(plain.host, `${repository}:v1`);
    expect(inspected.Digest).toBe(result.manifestDigest);
    expect(inspected.Layers).toEqual([image.layers[0].digest]);
    const layout = mkdtempSync(join(tmpdir(), 'cc-skopeo-'));
    try {
      await skopeoCopyToLayout(plain.host, `${repository}:v1`, layout);
      const layer = image.layers[0].digest.replace(':', '/');
      const copied = readFileSync(join(layout, 'blobs', layer));
      expect(digestOf(copied)).toBe(image.layers[0].digest);
    } finally {
      rmSync(layout, { recursive: true, force: true });
    }
  });

  test('should push with htpasswd basic auth', async () => {
    const image = readOCIImage();
    const repository = uniqueRepository('basic');
    const auth = basicAuth(basic.users[0]);
    await pushImage({ registry: basic.host, repository, tag: 'v1', ...image, auth, partSize: PART_SIZE });

    await expectPushed(basic.host, repository, 'v1', image, auth);
    test.skip(!hasSkopeo(), 'skopeo is not installed');
    const raw = await skopeoInspectRaw(basic.host, `${repository}:v1`, auth);
    expect(raw.equals(Buffer.from(image.manifest.bytes))).toBe(true);
  });

  test('should fail with UNAUTHORIZED for a wrong password', async () => {
    const image = readOCIImage();
    const repository = uniqueRepository('wrong');
    const auth = { type: 'basic' as const, username: basic.users[0].username, password: 'nope' };
    const push = pushImage({ registry: basic.host, repository, tag: 'v1', ...image, auth });

    const error = await push.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryError);
    expect((error as RegistryError).status).toBe(401);
    expect((error as RegistryError).code).toBe('UNAUTHORIZED');
    expect((error as RegistryError).message).toContain(`HEAD /v2/${repository}/blobs/`);
    expect((error as RegistryError).message).not.toContain('nope');
  });

  test('should push with token auth', async () => {
    const image = readOCIImage();
    const repository = uniqueRepository('token');
    const auth = basicAuth(token.users[0]);
    const before = token.tokenServer!.requests.length;
    await pushImage({ registry: token.host, repository, tag: 'v1', ...image, auth, partSize: PART_SIZE });

    const issued = token.tokenServer!.requests.slice(before);
    expect(issued).toEqual([
      { account: token.users[0].username, scopes: [`repository:${repository}:pull,push`], status: 200 },
    ]);
    await expectPushed(token.host, repository, 'v1', image, auth);
    test.skip(!hasSkopeo(), 'skopeo is not installed');
    const raw = await skopeoInspectRaw(token.host, `${repository}:v1`, auth);
    expect(raw.equals(Buffer.from(image.manifest.bytes))).toBe(true);
  });

  test('should mount blobs from another repository', async () => {
    const image = readOCIImage();
    const source = uniqueRepository('mount-source');
    const target = uniqueRepository('mount-target');
    const auth = basicAuth(token.users[0]);
    await pushImage({ registry: token.host, repository: source, tag: 'v1', ...image, auth });
    const before = token.tokenServer!.requests.length;

    const result = await pushImage({
      registry: token.host,
      repository: target,
      tag: 'v1',
      ...image,
      auth,
      mountFrom: source,
    });

    expect(result.blobs.map((blob) => blob.outcome)).toEqual(['mounted', 'mounted']);
    const scopes = token.tokenServer!.requests.slice(before).map((r) => r.scopes);
    expect(scopes[scopes.length - 1]).toEqual([
      `repository:${source}:pull`,
      `repository:${target}:pull,push`,
    ]);
    await expectPushed(token.host, target, 'v1', image, auth);
  });

  test('should upload when the mount source lacks the blob', async () => {
    const image = readOCIImage();
    const repository = uniqueRepository('mount-fallback');
    const result = await pushImage({
      registry: plain.host,
      repository,
      tag: 'v1',
      ...image,
      mountFrom: uniqueRepository('empty'),
      partSize: PART_SIZE,
    });

    expect(result.blobs.map((blob) => blob.outcome)).toEqual(['uploaded', 'uploaded']);
    await expectPushed(plain.host, repository, 'v1', image);
  });

  test('should upload parts at boundary sizes', async () => {
    const partSize = 64 * 1024;
    const sizes = [0, 1, partSize - 1, partSize, partSize + 1, 3 * partSize + 5];
    const image = syntheticImage(sizes);
    const repository = uniqueRepository('boundaries');
    const calls: RegistryCall[] = [];
    await pushImage({
      registry: plain.host,
      repository,
      tag: 'v1',
      ...image,
      partSize,
      onCall: (call) => calls.push(call),
    });

    const patches = calls.filter((call) => call.method === 'PATCH').length;
    expect(patches).toBe(sizes.reduce((sum, size) => sum + Math.ceil(size / partSize), 0));
    await expectPushed(plain.host, repository, 'v1', image);
    for (const layer of image.layers) {
      const response = await fetch(`http://${plain.host}/v2/${repository}/blobs/${layer.digest}`);
      const bytes = new Uint8Array(await response.arrayBuffer());
      expect(bytes.length, `blob ${layer.digest}`).toBe(layer.size);
      expect(digestOf(bytes)).toBe(layer.digest);
    }
  });

  test('should follow relative upload locations', async () => {
    const image = readOCIImage();
    const repository = uniqueRepository('relative');
    const locations: string[] = [];
    await pushImage({
      registry: relative.host,
      repository,
      tag: 'v1',
      ...image,
      partSize: PART_SIZE,
      fetch: async (input, init) => {
        const response = await fetch(input, init);
        const location = response.headers.get('location');
        if (location) locations.push(location);
        return response;
      },
    });

    expect(locations.length).toBeGreaterThan(0);
    expect(locations.every((location) => location.startsWith('/v2/'))).toBe(true);
    await expectPushed(relative.host, repository, 'v1', image);
  });

  test('should get the manifest as pushed', async () => {
    const image = readOCIImage();
    const repository = uniqueRepository('get');
    const result = await pushImage({ registry: plain.host, repository, tag: 'v1', ...image });

    const session = createSession({ registry: plain.host, repository });
    const byTag = await getManifest(session, 'v1');
    const byDigest = await getManifest(session, result.manifestDigest);

    expect(byTag.mediaType).toBe(image.manifest.mediaType);
    expect(byTag.digest).toBe(result.manifestDigest);
    expect(Buffer.from(byDigest.bytes).equals(Buffer.from(image.manifest.bytes))).toBe(true);
  });

  test('should reject a manifest that names other blobs before any call', async () => {
    const image = readOCIImage();
    const other = syntheticImage([10]);
    const calls: RegistryCall[] = [];
    const push = pushImage({
      registry: plain.host,
      repository: uniqueRepository('mismatch'),
      tag: 'v1',
      ...image,
      layers: other.layers,
      onCall: (call) => calls.push(call),
    });

    await expect(push).rejects.toBeInstanceOf(InvalidInputError);
    await expect(push).rejects.toThrow(/manifest: layer 0 descriptor names/);
    expect(calls).toEqual([]);
  });

  test('should reject an image index media type', async () => {
    const image = readOCIImage();
    const push = pushImage({
      registry: plain.host,
      repository: uniqueRepository('index'),
      tag: 'v1',
      ...image,
      manifest: { mediaType: 'application/vnd.oci.image.index.v1+json', bytes: image.manifest.bytes },
    });

    await expect(push).rejects.toBeInstanceOf(UnsupportedError);
  });

  test('should fail without tagging when a layer stream is short', async () => {
    const image = readOCIImage();
    const repository = uniqueRepository('short');
    const layer = image.layers[0];
    const short = {
      ...layer,
      open: async function* () {
        let sent = 0;
        for await (const piece of layer.open()) {
          if (sent + piece.length >= layer.size) return;
          sent += piece.length;
          yield piece;
        }
      },
    };
    const push = pushImage({
      registry: plain.host,
      repository,
      tag: 'v1',
      ...image,
      layers: [short],
      partSize: PART_SIZE,
      retry: FAST_RETRY,
    });

    await expect(push).rejects.toBeInstanceOf(SizeMismatchError);
    expect(await storedManifest(plain.host, repository, 'v1')).toBeUndefined();
  });

  test('should reject invalid names before any call', async () => {
    const image = readOCIImage();
    const calls: RegistryCall[] = [];
    const base = { ...image, onCall: (call: RegistryCall) => calls.push(call) };

    await expect(
      pushImage({ ...base, registry: plain.host, repository: 'Upper/Case', tag: 'v1' }),
    ).rejects.toThrow(/repository: invalid name "Upper\/Case"/);
    await expect(
      pushImage({ ...base, registry: plain.host, repository: 'ok/name', tag: '-bad' }),
    ).rejects.toThrow(/tag: invalid tag "-bad"/);
    await expect(
      pushImage({ ...base, registry: 'user@host', repository: 'ok/name', tag: 'v1' }),
    ).rejects.toThrow(/registry: invalid host "user@host"/);
    expect(calls).toEqual([]);
  });
});
