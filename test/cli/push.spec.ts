import { execFileSync, spawn } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from '@playwright/test';
import { parsePushReference } from '../../lib/cli/push';
import type { ImageRecord } from '../../lib/core/layer-index';
import { FsChunkStore } from '../../lib/store/fs-chunk-store';
import { runCli } from '../helpers/cli';
import { TEST_USER, startRegistry, waitForRegistryBinary } from '../helpers/registry';
import type { RegistryHandle } from '../helpers/registry';
import { estargzVerifier, run, runStatus, tempDir } from '../estargz/helpers';
import { digestOf, readOCIImage } from '../registry/oci-fixture';
import {
  SKOPEO,
  basicAuth,
  hasSkopeo,
  skopeoCopyToLayout,
  skopeoInspect,
  skopeoInspectRaw,
  storedManifest,
  uniqueRepository,
} from '../registry/support';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SAMPLES = join(REPO_ROOT, 'public/samples');
const OCI_SAMPLE = join(SAMPLES, 'tiny-tools-v2.oci.tar');
const DOCKER_SAMPLE = join(SAMPLES, 'tiny-tools.docker.tar');
const ENTRY = join(REPO_ROOT, 'scripts/chunked-containers.mjs');
const TOC_ANNOTATION = 'containerd.io/snapshot/stargz/toc.digest';

interface PushJSON {
  reference: string;
  manifestDigest: string;
  manifestMediaType: string;
  configDigest: string;
  image: 'source' | 'estargz';
  imageKey: string;
  blobs: { blob: 'layer' | 'config'; index?: number; digest: string; outcome: string; bytes: number }[];
}

interface Spawned {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the command line in a child process with `stdin` as its standard input. */
function spawnCli(args: string[], stdin: string): Promise<Spawned> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [ENTRY, ...args], { cwd: REPO_ROOT });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (piece) => (stdout += piece));
    child.stderr.on('data', (piece) => (stderr += piece));
    child.once('error', reject);
    child.once('close', (status) => resolve({ status, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

async function pushJSON(args: string[]): Promise<PushJSON> {
  const result = await runCli(['push', ...args, '--json']);
  expect(result.stderr).toBe('');
  expect(result.status).toBe(0);
  return JSON.parse(result.stdout) as PushJSON;
}

/** Counts upload requests (start, part, finish) for `repository` in the registry's access log. */
function uploadRequests(registry: RegistryHandle, repository: string): number {
  const pattern = new RegExp(`"(POST|PATCH|PUT) /v2/${repository}/blobs/uploads/`);
  return registry.log().split('\n').filter((line) => pattern.test(line)).length;
}

/** Returns the config bytes as the registry serves them, through skopeo. */
function skopeoConfig(host: string, reference: string): Buffer {
  return execFileSync(SKOPEO, ['inspect', '--config', '--raw', '--tls-verify=false', '--no-creds', `docker://${host}/${reference}`]);
}

/** Returns the blob files of an OCI layout folder, by digest. */
function layoutBlobs(folder: string): Map<string, string> {
  const dir = join(folder, 'blobs/sha256');
  return new Map(readdirSync(dir).map((hex) => [`sha256:${hex}`, join(dir, hex)]));
}

/**
 * Builds a legacy `docker save` archive with a gzip layer from the docker
 * sample, whose layers are plain tars: the manifest then has to be
 * synthesized, listing the layer by its diffID.
 */
function gzipLegacyArchive(): string {
  const dir = tempDir('legacy-gzip');
  const tree = join(dir, 'tree');
  run('mkdir', [tree]);
  run('tar', ['-xf', DOCKER_SAMPLE, '-C', tree]);
  const members = run('tar', ['-tf', DOCKER_SAMPLE]).split('\n').filter(Boolean);
  const layer = members.find((name) => /^[0-9a-f]{64}\.tar$/.test(name))!;
  run('sh', ['-c', `gzip -n -c "$1" > "$1.gz" && mv "$1.gz" "$1"`, 'sh', join(tree, layer)]);
  const archive = join(dir, 'legacy-gzip.docker.tar');
  run('tar', ['-cf', archive, '-C', tree, ...members]);
  return archive;
}

test.describe('parsePushReference', () => {
  test('should read host, port, nested repository and tag', () => {
    expect(parsePushReference('127.0.0.1:5000/team/sub/app:v1.2')).toEqual({
      registry: '127.0.0.1:5000',
      repository: 'team/sub/app',
      tag: 'v1.2',
    });
  });

  test('should default the tag to latest', () => {
    expect(parsePushReference('registry.example.com/app')).toEqual({
      registry: 'registry.example.com',
      repository: 'app',
      tag: 'latest',
    });
    expect(parsePushReference('localhost/app').registry).toBe('localhost');
  });

  test('should read an IPv6 host', () => {
    expect(parsePushReference('[::1]:5000/a/b:c')).toEqual({ registry: '[::1]:5000', repository: 'a/b', tag: 'c' });
  });

  const rejected: [string, RegExp][] = [
    ['127.0.0.1:5000/app@sha256:' + 'a'.repeat(64), /digest reference/],
    ['127.0.0.1:5000/app:v1@sha256:' + 'a'.repeat(64), /digest reference/],
    ['team/app:v1', /"team" is not a registry host/],
    ['127.0.0.1:5000', /no repository/],
    ['127.0.0.1:5000/', /invalid name ""/],
    ['127.0.0.1:5000/Team/App', /invalid name "Team\/App"/],
    ['127.0.0.1:5000/app:-v1', /invalid tag "-v1"/],
    ['127.0.0.1:5000/app:', /invalid tag ""/],
    ['127.0.0.1:99999/app', /invalid host "127.0.0.1:99999"/],
    ['reg istry.example/app', /invalid host/],
  ];
  for (const [value, reason] of rejected) {
    test(`should reject ${value}`, () => {
      expect(() => parsePushReference(value)).toThrow(reason);
      expect(() => parsePushReference(value)).toThrow(JSON.stringify(value));
    });
  }
});

test.describe('push command', () => {
  let plain: RegistryHandle;
  let basic: RegistryHandle;
  let store: string;

  test.beforeAll(async () => {
    test.skip(!(await waitForRegistryBinary()), 'docker-registry is not installed');
    test.skip(!hasSkopeo(), 'skopeo is not installed');
    [plain, basic] = await Promise.all([startRegistry(), startRegistry({ auth: 'htpasswd' })]);
    store = tempDir('cc-push-store');
  });

  test.afterAll(async () => {
    await Promise.all([plain, basic].map((registry) => registry?.stop()));
    if (store) rmSync(store, { recursive: true, force: true });
  });

  test('should push the source image as it is in the archive', async () => {
    const repository = uniqueRepository('cli-source');
    const pushed = await pushJSON(['--image', OCI_SAMPLE, '--to', `${plain.host}/${repository}:v1`, '--store', store]);
    const archive = readOCIImage(OCI_SAMPLE);

    expect(pushed.reference).toBe(`${plain.host}/${repository}:v1`);
    expect(pushed.image).toBe('source');
    expect(pushed.manifestDigest).toBe(digestOf(archive.manifest.bytes));
    expect(pushed.blobs.map((blob) => [blob.digest, blob.outcome])).toEqual([
      ...archive.layers.map((layer) => [layer.digest, 'uploaded']),
      [archive.config.digest, 'uploaded'],
    ]);
    const raw = await skopeoInspectRaw(plain.host, `${repository}:v1`);
    expect(raw.equals(Buffer.from(archive.manifest.bytes))).toBe(true);
    expect(skopeoConfig(plain.host, `${repository}:v1`).equals(Buffer.from(archive.config.bytes))).toBe(true);
    const inspected = await skopeoInspect(plain.host, `${repository}:v1`);
    expect(inspected.Digest).toBe(pushed.manifestDigest);
    expect(inspected.Layers).toEqual(archive.layers.map((layer) => layer.digest));

    const layout = tempDir('cc-push-copy');
    await skopeoCopyToLayout(plain.host, `${repository}:v1`, layout);
    const blobs = layoutBlobs(layout);
    for (const layer of archive.layers) expect(blobs.has(layer.digest), `layer ${layer.digest}`).toBe(true);
    rmSync(layout, { recursive: true, force: true });
  });

  test('should push a legacy docker save image under its synthesized manifest', async () => {
    const archives = [DOCKER_SAMPLE, gzipLegacyArchive()];
    for (const [i, archive] of archives.entries()) {
      const repository = uniqueRepository('cli-legacy');
      const pushed = await pushJSON(['--image', archive, '--to', `${plain.host}/${repository}`, '--store', store]);
      expect(pushed.reference).toBe(`${plain.host}/${repository}:latest`);
      // skopeo's docker-archive transport synthesizes the same manifest.
      const expected = run(SKOPEO, ['inspect', '--raw', `docker-archive:${archive}`]);
      const raw = await skopeoInspectRaw(plain.host, `${repository}:latest`);
      expect(raw.toString('utf8'), `archive ${i}`).toBe(expected);
      expect(pushed.manifestDigest).toBe(digestOf(raw));
      const layout = tempDir('cc-push-copy');
      await skopeoCopyToLayout(plain.host, `${repository}:latest`, layout);
      rmSync(layout, { recursive: true, force: true });
    }
  });

  test('should push the eStargz conversion with --stargz', async () => {
    const verifier = estargzVerifier();
    test.skip(!verifier, 'the Go estargz checker cannot be built (needs Go and Debian estargz sources)');
    const repository = uniqueRepository('cli-estargz');
    const reference = `${repository}:esgz`;
    const pushed = await pushJSON(['--image', OCI_SAMPLE, '--to', `${plain.host}/${reference}`, '--stargz', '--store', store]);
    const chunkStore = new FsChunkStore({ root: store });
    const record: ImageRecord = await chunkStore.getImage(pushed.imageKey);
    await chunkStore.close();
    const converted = record.estargz!;

    expect(pushed.image).toBe('estargz');
    expect(pushed.manifestDigest).toBe(converted.manifestDigest);
    expect(pushed.blobs.map((blob) => blob.digest)).toEqual([
      ...converted.layers.map((layer) => layer.digest),
      converted.configDigest,
    ]);
    const raw = await skopeoInspectRaw(plain.host, reference);
    expect(raw.equals(Buffer.from(converted.rawManifest))).toBe(true);
    expect(skopeoConfig(plain.host, reference).equals(Buffer.from(converted.rawConfig))).toBe(true);

    const layout = tempDir('cc-push-copy');
    await skopeoCopyToLayout(plain.host, reference, layout);
    const manifest = JSON.parse(raw.toString('utf8')) as {
      layers: { digest: string; annotations?: Record<string, string> }[];
    };
    const blobs = layoutBlobs(layout);
    expect(manifest.layers).toHaveLength(converted.layers.length);
    for (const [i, layer] of manifest.layers.entries()) {
      const tocDigest = layer.annotations?.[TOC_ANNOTATION];
      expect(tocDigest, `layer ${i} TOC annotation`).toBe(converted.layers[i].tocDigest);
      const blob = blobs.get(layer.digest);
      expect(blob, `layer ${i} blob in the copy`).toBeDefined();
      const check = runStatus(verifier!, ['-toc-digest', tocDigest!, blob!]);
      expect(check.stderr, `estargz-verify layer ${i}`).toBe('');
      expect(check.status).toBe(0);
    }
    rmSync(layout, { recursive: true, force: true });
  });

  test('should upload nothing when pushing again', async () => {
    for (const stargz of [[], ['--stargz']]) {
      const repository = uniqueRepository('cli-again');
      const args = ['--image', OCI_SAMPLE, '--to', `${plain.host}/${repository}:v1`, '--store', store, ...stargz];
      const first = await pushJSON(args);
      const uploads = uploadRequests(plain, repository);
      expect(uploads).toBeGreaterThan(0);

      const again = await runCli(['push', ...args]);
      expect(again.status).toBe(0);
      const lines = again.stdout.split('\n');
      expect(lines.filter((line) => line.endsWith(' skipped'))).toHaveLength(first.blobs.length);
      expect(lines.filter((line) => / uploaded \d+ bytes$/.test(line))).toEqual([]);
      expect(lines).toContain(`manifest digest: ${first.manifestDigest}`);
      expect(uploadRequests(plain, repository)).toBe(uploads);
    }
  });

  test('should push with htpasswd credentials read from stdin', async () => {
    const repository = uniqueRepository('cli-auth');
    const result = await spawnCli(
      ['push', '--image', OCI_SAMPLE, '--to', `${basic.host}/${repository}:v1`, '--store', store,
        '--username', TEST_USER.username, '--password-stdin'],
      `${TEST_USER.password}\n`,
    );
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain(`pushed ${basic.host}/${repository}:v1`);
    const archive = readOCIImage(OCI_SAMPLE);
    const bytes = await storedManifest(basic.host, repository, 'v1', basicAuth(TEST_USER));
    expect(Buffer.from(bytes!).equals(Buffer.from(archive.manifest.bytes))).toBe(true);
  });

  test('should fail with the registry error on a bad password', async () => {
    const repository = uniqueRepository('cli-denied');
    const result = await spawnCli(
      ['push', '--image', OCI_SAMPLE, '--to', `${basic.host}/${repository}:v1`, '--store', store,
        '--username', TEST_USER.username, '--password-stdin'],
      'not-the-password\n',
    );
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('chunked-containers push: ');
    // The first request is a HEAD, whose 401 reply has no body, so the status names the code.
    expect(result.stderr).toMatch(/HEAD \/v2\/cli-denied\/\S+ returned 401: UNAUTHORIZED/);
    expect(result.stderr).not.toContain('not-the-password');
    expect(await storedManifest(basic.host, repository, 'v1', basicAuth(TEST_USER))).toBeUndefined();
  });

  test('should fail without credentials on a registry that needs them', async () => {
    const repository = uniqueRepository('cli-anonymous');
    const result = await runCli(['push', '--image', OCI_SAMPLE, '--to', `${basic.host}/${repository}:v1`, '--store', store]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('UNAUTHORIZED');
  });

  test('should exit 2 on usage errors, naming the value', async () => {
    const to = `${plain.host}/cli-usage/app:v1`;
    const cases: [string[], string][] = [
      [['--to', to], '--image ARCHIVE is required'],
      [['--image', OCI_SAMPLE], '--to REGISTRY/REPOSITORY[:TAG] is required'],
      [['--image', OCI_SAMPLE, '--to', 'team/app'], '--to "team/app": "team" is not a registry host'],
      [['--image', OCI_SAMPLE, '--to', `${plain.host}/App`], `--to "${plain.host}/App"`],
      [['--image', OCI_SAMPLE, '--to', `${plain.host}/app@sha256:${'0'.repeat(64)}`], 'a digest reference names no tag'],
      [['--image', OCI_SAMPLE, '--to', to, '--password', 'secret'], '--password is not accepted'],
      [['--image', OCI_SAMPLE, '--to', to, '--username', 'u'], '--username needs --password-stdin'],
      [['--image', OCI_SAMPLE, '--to', to, '--password-stdin'], '--password-stdin needs --username'],
      [['--image', OCI_SAMPLE, '--to', to, '--stargz', '--gzip-level', '12'], '--gzip-level must be an integer from 0 to 9, got "12"'],
      [['--image', OCI_SAMPLE, '--to', to, '--no-such-flag'], 'unknown flag --no-such-flag'],
    ];
    for (const [args, message] of cases) {
      const result = await runCli(['push', ...args, '--store', store]);
      expect(result.status, args.join(' ')).toBe(2);
      expect(result.stderr).toContain(message);
      expect(result.stderr).not.toContain('secret');
    }
    const empty = await spawnCli(['push', '--image', OCI_SAMPLE, '--to', to, '--username', 'u', '--password-stdin'], '');
    expect(empty.status).toBe(2);
    expect(empty.stderr).toContain('--password-stdin: stdin is empty');
  });

  test('should print help with exit 0', async () => {
    const result = await runCli(['push', '--help']);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('--password-stdin');
    const listed = await runCli(['--help']);
    expect(listed.stdout).toMatch(/\n {2}push {6}/);
  });

  test('should exit 1 for an archive that is not there', async () => {
    const result = await runCli(['push', '--image', join(store, 'missing.tar'), '--to', `${plain.host}/cli-missing/app`, '--store', store]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('missing.tar');
  });
});
