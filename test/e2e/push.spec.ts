/**
 * The Push tab in Chromium against Debian's docker-registry on 127.0.0.1:
 * import a sample, build its eStargz image with the eStargz tab's Build
 * button, push it through the app's registry routes, and read it back with
 * skopeo and the Go estargz checker.
 */
import { expect, test } from '@playwright/test';
import type { Browser, Page } from '@playwright/test';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_DATABASE_NAME } from '../../lib/store/idb-chunk-store';
import { estargzVerifier, runStatus, tempDir } from '../estargz/helpers';
import { startFaultProxy } from '../helpers/fault-proxy';
import type { FaultProxy } from '../helpers/fault-proxy';
import { TEST_USER, startRegistry, waitForRegistryBinary } from '../helpers/registry';
import type { RegistryHandle } from '../helpers/registry';
import { digestOf } from '../registry/oci-fixture';
import {
  basicAuth,
  hasSkopeo,
  skopeoCopyToLayout,
  skopeoInspectRaw,
  storedManifest,
  uniqueRepository,
} from '../registry/support';

const SAMPLE_BUTTON = 'tiny-tools v2 (OCI archive)';
const TOC_ANNOTATION = 'containerd.io/snapshot/stargz/toc.digest';

/** The parts of a stored eStargz build that the checks compare with the registry. */
interface BuiltImage {
  manifestDigest: string;
  rawManifest: string;
  layers: { digest: string; tocDigest: string }[];
}

/** Imports the sample through the import page and returns the image's store key. */
async function importSample(page: Page): Promise<string> {
  await page.goto('/');
  await page.getByRole('button', { name: SAMPLE_BUTTON }).click();
  await page.getByRole('button', { name: 'Start' }).click();
  await expect(page.getByText('Imported 1 image.')).toBeVisible();
  await page.getByRole('link', { name: 'Open the library' }).click();
  await page.getByRole('row', { name: /tiny-tools/ }).getByRole('link').first().click();
  await expect(page).toHaveURL(/\/image\?key=/);
  return new URL(page.url()).searchParams.get('key')!;
}

/** Returns the eStargz build that the image record of `key` holds in the page's IndexedDB store. */
async function storedBuild(page: Page, key: string): Promise<BuiltImage> {
  return page.evaluate(
    async ({ databaseName, imageKey }) => {
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const open = indexedDB.open(databaseName);
        open.onsuccess = () => resolve(open.result);
        open.onerror = () => reject(open.error);
      });
      const record = await new Promise<{ estargz?: { manifestDigest: string; rawManifest: Uint8Array; layers: { digest: string; tocDigest: string }[] } }>(
        (resolve, reject) => {
          const request = db.transaction('images').objectStore('images').get(imageKey);
          request.onsuccess = () => resolve(request.result);
          request.onerror = () => reject(request.error);
        },
      );
      db.close();
      const converted = record.estargz!;
      return {
        manifestDigest: converted.manifestDigest,
        rawManifest: new TextDecoder().decode(converted.rawManifest),
        layers: converted.layers.map((layer) => ({ digest: layer.digest, tocDigest: layer.tocDigest })),
      };
    },
    { databaseName: DEFAULT_DATABASE_NAME, imageKey: key },
  );
}

/** Builds the eStargz image with the eStargz tab's Build button and returns what was stored. */
async function buildEStargz(page: Page, key: string): Promise<BuiltImage> {
  await page.getByRole('tab', { name: 'eStargz' }).click();
  await page.getByRole('button', { name: 'Build eStargz' }).click();
  const shown = page.getByTestId('estargz-manifest-digest');
  await expect(shown).toBeVisible({ timeout: 120_000 });
  const built = await storedBuild(page, key);
  await expect(shown).toHaveText(built.manifestDigest);
  return built;
}

async function openPushTab(page: Page): Promise<void> {
  await page.getByRole('tab', { name: 'Push' }).click();
  await expect(page.getByTestId('push-panel')).toBeVisible();
}

async function fillTarget(page: Page, target: { registry: string; repository: string; tag: string }) {
  await page.getByLabel('Registry').fill(target.registry);
  await page.getByLabel('Repository').fill(target.repository);
  await page.getByLabel('Tag').fill(target.tag);
}

/** Returns each progress row's status text, by blob label. */
async function rowStatuses(page: Page): Promise<Record<string, string>> {
  const rows = page.getByRole('table', { name: 'Push progress' }).locator('tbody tr');
  const statuses: Record<string, string> = {};
  for (const row of await rows.all()) {
    const label = (await row.locator('th').textContent())!.trim();
    statuses[label] = (await row.locator('td').nth(1).textContent())!.trim();
  }
  return statuses;
}

test.describe.serial('push tab', () => {
  let plain: RegistryHandle;
  let basic: RegistryHandle;
  let proxy: FaultProxy;
  let page: Page;
  let key: string;
  let built: BuiltImage;

  test.beforeAll(async ({ browser }: { browser: Browser }) => {
    test.setTimeout(180_000);
    test.skip(!(await waitForRegistryBinary()), 'docker-registry is not installed');
    test.skip(!hasSkopeo(), 'skopeo is not installed');
    [plain, basic] = await Promise.all([startRegistry(), startRegistry({ auth: 'htpasswd' })]);
    proxy = await startFaultProxy(plain.host);
    page = await browser.newPage();
    key = await importSample(page);
  });

  test.afterAll(async () => {
    await page?.close();
    await proxy?.close();
    await Promise.all([plain, basic].map((registry) => registry?.stop()));
  });

  test('should point to the eStargz tab before a build', async () => {
    await openPushTab(page);
    await expect(page.getByTestId('push-panel')).toContainText('no eStargz build yet');
    await expect(page.getByRole('button', { name: 'Push' })).toHaveCount(0);
    await page.getByRole('link', { name: 'eStargz tab' }).click();
    await expect(page.getByRole('tab', { name: 'eStargz' })).toHaveAttribute('aria-selected', 'true');
  });

  test('should push the eStargz image to a registry without auth', async () => {
    const verifier = estargzVerifier();
    test.skip(!verifier, 'the Go estargz checker cannot be built (needs Go and Debian estargz sources)');
    built = await buildEStargz(page, key);
    await openPushTab(page);
    const repository = uniqueRepository('e2e');
    await fillTarget(page, { registry: plain.host, repository, tag: 'v1' });
    await page.getByRole('button', { name: 'Push', exact: true }).click();

    const result = page.getByTestId('push-result');
    await expect(result).toBeVisible();
    await expect(result).toContainText(`Pushed ${plain.host}/${repository}:v1`);
    await expect(result).toContainText(built.manifestDigest);
    await expect(result).toHaveAttribute('data-manifest-digest', built.manifestDigest);
    await expect(page.getByLabel('Copy to an OCI layout folder with skopeo')).toHaveText(
      `skopeo copy --src-tls-verify=false docker://${plain.host}/${repository}:v1 oci:./${repository.split('/').pop()}-v1`,
    );
    await expect(page.getByLabel('Pull lazily with nerdctl and the stargz snapshotter')).toHaveText(
      `nerdctl --snapshotter=stargz --insecure-registry pull ${plain.host}/${repository}:v1`,
    );
    const statuses = await rowStatuses(page);
    expect(statuses).toEqual({
      ...Object.fromEntries(built.layers.map((_, i) => [`Layer ${i + 1}`, 'uploaded'])),
      Config: 'uploaded',
      Manifest: 'tagged',
    });

    const raw = await skopeoInspectRaw(plain.host, `${repository}:v1`);
    expect(raw.toString('utf8')).toBe(built.rawManifest);
    expect(digestOf(raw)).toBe(built.manifestDigest);
    const layout = tempDir('cc-e2e-push');
    try {
      await skopeoCopyToLayout(plain.host, `${repository}:v1`, layout);
      const manifest = JSON.parse(built.rawManifest) as { layers: { digest: string; annotations: Record<string, string> }[] };
      for (const [i, layer] of manifest.layers.entries()) {
        expect(layer.annotations[TOC_ANNOTATION]).toBe(built.layers[i].tocDigest);
        const blob = join(layout, 'blobs', ...layer.digest.split(':'));
        const check = runStatus(verifier!, ['-toc-digest', built.layers[i].tocDigest, blob]);
        expect(check.stderr, `estargz-verify layer ${i}`).toBe('');
        expect(check.status).toBe(0);
      }
    } finally {
      rmSync(layout, { recursive: true, force: true });
    }

    // Pushing again finds every blob in place.
    await page.getByRole('button', { name: 'Push', exact: true }).click();
    await expect(result).toContainText(`0 uploaded (0 B), 0 mounted, ${built.layers.length + 1} skipped`);
    expect(await rowStatuses(page)).toEqual({
      ...Object.fromEntries(built.layers.map((_, i) => [`Layer ${i + 1}`, 'skipped'])),
      Config: 'skipped',
      Manifest: 'tagged',
    });
  });

  test('should push with htpasswd credentials and keep them out of storage', async () => {
    test.skip(!built, 'needs the eStargz build of the previous test');
    const repository = uniqueRepository('e2e-auth');
    await fillTarget(page, { registry: basic.host, repository, tag: 'v1' });
    await page.getByLabel('Username').fill(TEST_USER.username);
    await page.getByLabel('Password or token').fill('wrong-password');
    await page.getByRole('button', { name: 'Push', exact: true }).click();
    const failure = page.getByTestId('push-failure');
    await expect(failure).toBeVisible();
    await expect(failure).toHaveAttribute('data-code', 'UNAUTHORIZED');
    await expect(failure).toContainText('UNAUTHORIZED (HTTP 401)');
    await expect(failure).toContainText('Check the username and the password or token.');
    expect(await rowStatuses(page)).toMatchObject({ 'Layer 1': 'failed', Config: 'waiting' });
    expect(await storedManifest(basic.host, repository, 'v1', basicAuth(TEST_USER))).toBeUndefined();

    await page.getByLabel('Password or token').fill(TEST_USER.password);
    await page.getByRole('button', { name: 'Push', exact: true }).click();
    await expect(page.getByTestId('push-result')).toHaveAttribute('data-manifest-digest', built.manifestDigest);
    const bytes = await storedManifest(basic.host, repository, 'v1', basicAuth(TEST_USER));
    expect(Buffer.from(bytes!).toString('utf8')).toBe(built.rawManifest);

    expect(page.url()).not.toContain(TEST_USER.password);
    const found = await page.evaluate(async (secret) => {
      const places: string[] = [];
      for (const storage of [localStorage, sessionStorage]) {
        for (let i = 0; i < storage.length; i++) {
          const name = storage.key(i)!;
          if (`${name}=${storage.getItem(name)}`.includes(secret)) places.push(`web storage ${name}`);
        }
      }
      for (const { name } of await indexedDB.databases()) {
        const db = await new Promise<IDBDatabase>((resolve, reject) => {
          const open = indexedDB.open(name!);
          open.onsuccess = () => resolve(open.result);
          open.onerror = () => reject(open.error);
        });
        for (const storeName of Array.from(db.objectStoreNames)) {
          const values = await new Promise<unknown[]>((resolve, reject) => {
            const request = db.transaction(storeName).objectStore(storeName).getAll();
            request.onsuccess = () => resolve(request.result);
            request.onerror = () => reject(request.error);
          });
          const text = values
            .map((value) =>
              value instanceof Uint8Array || value instanceof ArrayBuffer
                ? new TextDecoder('latin1').decode(value)
                : JSON.stringify(value, (_, v) => (v instanceof Uint8Array ? new TextDecoder('latin1').decode(v) : v)),
            )
            .join('\n');
          if (text.includes(secret)) places.push(`IndexedDB ${name}/${storeName}`);
        }
        db.close();
      }
      return places;
    }, TEST_USER.password);
    expect(found).toEqual([]);
    await page.getByLabel('Username').fill('');
  });

  test('should cancel a push and leave the tag unset', async () => {
    test.skip(!built, 'needs the eStargz build of the previous test');
    const repository = uniqueRepository('e2e-cancel');
    proxy.clear();
    proxy.inject({ method: 'PATCH', fault: { kind: 'delay', ms: 60_000 } });
    await fillTarget(page, { registry: proxy.host, repository, tag: 'v1' });
    await page.getByRole('button', { name: 'Push', exact: true }).click();
    await expect(page.getByRole('row', { name: /^Layer 1/ })).toContainText('uploading');
    // Cancel while the proxy delays the first part, so the abort reaches a request in flight.
    await expect.poll(() => proxy.requests.some((request) => request.method === 'PATCH')).toBe(true);
    await page.getByRole('button', { name: 'Cancel' }).click();
    await expect(page.getByText('Push cancelled.')).toBeVisible();
    await expect(page.getByRole('button', { name: 'Push', exact: true })).toBeEnabled();
    expect(await rowStatuses(page)).toMatchObject({ 'Layer 1': 'cancelled', Manifest: 'waiting' });
    expect(await storedManifest(plain.host, repository, 'v1')).toBeUndefined();
    proxy.clear();
  });

  test('should reject a registry off the allowlist', async () => {
    test.skip(!built, 'needs the eStargz build of the previous test');
    const hosts = new Set<string>();
    page.on('request', (request) => hosts.add(new URL(request.url()).host));
    const routeReply = page.waitForResponse((response) => response.url().includes('/api/registry/'));
    await fillTarget(page, { registry: 'registry.example.invalid', repository: 'team/app', tag: 'v1' });
    await page.getByRole('button', { name: 'Push', exact: true }).click();

    const response = await routeReply;
    expect(response.status()).toBe(403);
    expect(await response.json()).toEqual({
      error: {
        code: 'REGISTRY_NOT_ALLOWED',
        message: expect.stringContaining('host registry.example.invalid is not an allowed registry'),
      },
    });
    const failure = page.getByTestId('push-failure');
    await expect(failure).toHaveAttribute('data-code', 'REGISTRY_NOT_ALLOWED');
    await expect(failure).toContainText("Couldn't push to registry.example.invalid/team/app:v1.");
    await expect(failure).toContainText('REGISTRY_NOT_ALLOWED (HTTP 403)');
    await expect(failure).toContainText('add it to CHUNKED_CONTAINERS_ALLOWED_REGISTRIES on the server');
    await expect(failure).toContainText('no request was sent to that registry');
    expect([...hosts]).toEqual([new URL(page.url()).host]);
  });

  test('should reject an invalid repository name on the page', async () => {
    test.skip(!built, 'needs the eStargz build of the previous test');
    const routes: string[] = [];
    page.on('request', (request) => {
      if (request.url().includes('/api/registry/')) routes.push(request.url());
    });
    await fillTarget(page, { registry: plain.host, repository: 'Team/App', tag: 'v1' });
    await page.getByRole('button', { name: 'Push', exact: true }).click();
    const failure = page.getByTestId('push-failure');
    await expect(failure).toHaveAttribute('data-code', 'INVALID_INPUT');
    await expect(failure).toContainText('repository: invalid name "Team/App"');
    expect(routes).toEqual([]);
  });
});
