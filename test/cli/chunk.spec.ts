import { expect, test } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { copyFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatBytes } from '../../lib/core/format';
import type { IngestReport } from '../../lib/core/ingest/summary';
import { FsChunkStore } from '../../lib/store/fs-chunk-store';
import { imageFileName } from '../../lib/store/fs-files';
import { runCli } from '../helpers/cli';
import { flipByte, smallLayer, writeDockerSave } from '../fixtures/ingest/archives';
import { blobMember, tarMember } from '../fixtures/ingest/gnu-tar';
import { repoPath, sha256Of } from '../fixtures/ingest/ingest-run';

const DOCKER_SAMPLE = repoPath('public/samples/tiny-tools.docker.tar');
const OCI_SAMPLE = repoPath('public/samples/tiny-tools-v2.oci.tar');
const GCR = 'test/fixtures/archives/go-containerregistry';
const CHUNK_SIZE = 64 * 1024;

let work: string;
let store: string;

test.beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'cli-chunk-'));
  store = join(work, 'store');
});

test.afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

async function chunkJSON<T = IngestReport>(image: string, ...flags: string[]): Promise<T> {
  const run = await runCli(['chunk', '--image', image, '--store', store, '--json', ...flags]);
  expect(run.stderr).toBe('');
  expect(run.status).toBe(0);
  return JSON.parse(run.stdout) as T;
}

/** Returns the config's diff_ids, read from the archive by GNU tar. */
function diffIDsOf(archive: string, configDigest: string): string[] {
  const config = JSON.parse(tarMember(archive, blobMember(archive, configDigest)).toString('utf8'));
  return (config as { rootfs: { diff_ids: string[] } }).rootfs.diff_ids;
}

test.describe('chunk command report', () => {
  test('should report the docker save sample in JSON', async () => {
    const report = await chunkJSON(DOCKER_SAMPLE);
    expect(report.source).toBe('tiny-tools.docker.tar');
    expect(report.repoTags).toEqual(['docker.io/chunked-containers/tiny-tools:latest']);
    expect(report.manifestMediaType).toBe('application/vnd.docker.distribution.manifest.v2+json');
    expect(report.schemaVersion).toBe(2);
    expect([report.os, report.architecture]).toEqual(['linux', 'amd64']);
    expect(report.strategy).toEqual({ name: 'fixed-size', chunkSize: CHUNK_SIZE });
    expect(report.filesystem).toBe(true);

    // The config is the member `<hex>.json`, named by its digest.
    const manifest = JSON.parse(tarMember(DOCKER_SAMPLE, 'manifest.json').toString('utf8'))[0];
    const config = tarMember(DOCKER_SAMPLE, manifest.Config);
    expect(report.configDigest).toBe(sha256Of(config));
    expect(report.configSize).toBe(config.length);
    const diffIDs = JSON.parse(config.toString('utf8')).rootfs.diff_ids as string[];
    expect(report.layers.map((layer) => layer.diffID)).toEqual(diffIDs);

    for (const [i, layer] of report.layers.entries()) {
      const blob = tarMember(DOCKER_SAMPLE, blobMember(DOCKER_SAMPLE, layer.diffID));
      expect(layer.index).toBe(i);
      expect(layer.digest).toBe(layer.diffID);
      expect(layer.mediaType).toBe('application/vnd.docker.image.rootfs.diff.tar');
      expect(layer.size).toBe(blob.length);
      expect(layer.uncompressedSize).toBe(blob.length);
      expect(layer.chunkCount).toBe(Math.ceil(blob.length / CHUNK_SIZE));
      expect(layer.indexDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
    }
    const chunkCount = report.layers.reduce((sum, layer) => sum + layer.chunkCount, 0);
    expect(report.chunksCreated + report.chunksDeduplicated).toBe(chunkCount);
    expect(report.indexesCreated).toBe(2);
    expect(report.bytesRead).toBe(report.layers.reduce((sum, layer) => sum + layer.size, 0));
    expect(report.seconds).toBeGreaterThan(0);
    const stats = await new FsChunkStore({ root: store }).stats();
    expect(stats).toEqual({ chunkCount: report.chunksCreated, chunkBytes: report.bytesStored, indexCount: 2, imageCount: 1 });
  });

  test('should report the OCI sample in JSON', async () => {
    const report = await chunkJSON(OCI_SAMPLE);
    const index = JSON.parse(tarMember(OCI_SAMPLE, 'index.json').toString('utf8'));
    const manifestDigest = index.manifests[0].digest as string;
    const manifestBytes = tarMember(OCI_SAMPLE, blobMember(OCI_SAMPLE, manifestDigest));
    const manifest = JSON.parse(manifestBytes.toString('utf8'));
    expect(report.source).toBe('tiny-tools-v2.oci.tar');
    expect(report.repoTags).toEqual([]);
    expect(report.manifestDigest).toBe(manifestDigest);
    expect(sha256Of(manifestBytes)).toBe(manifestDigest);
    expect(report.manifestMediaType).toBe(manifest.mediaType);
    expect(report.schemaVersion).toBe(2);
    expect(report.configDigest).toBe(manifest.config.digest);
    expect(report.configSize).toBe(manifest.config.size);
    expect(report.layers.map((l) => l.diffID)).toEqual(diffIDsOf(OCI_SAMPLE, manifest.config.digest));
    expect(report.layers.map((l) => ({ digest: l.digest, size: l.size, mediaType: l.mediaType }))).toEqual(
      manifest.layers.map((l: { digest: string; size: number; mediaType: string }) => ({
        digest: l.digest,
        size: l.size,
        mediaType: l.mediaType,
      })),
    );
    for (const layer of report.layers) {
      expect(layer.uncompressedSize).toBeGreaterThan(layer.size);
      expect(layer.chunkCount).toBe(Math.ceil(layer.uncompressedSize / CHUNK_SIZE));
    }
  });

  test('should print the summary as text', async () => {
    const json = await chunkJSON(DOCKER_SAMPLE);
    await rm(store, { recursive: true, force: true });
    const run = await runCli(['chunk', '--image', DOCKER_SAMPLE, '--store', store]);
    expect(run.status).toBe(0);
    expect(run.stderr).toBe('');
    const lines = run.stdout.split('\n');
    expect(lines.slice(0, 7)).toEqual([
      'Image: docker.io/chunked-containers/tiny-tools:latest (tiny-tools.docker.tar)',
      `Manifest digest: ${json.manifestDigest}`,
      'Media type: application/vnd.docker.distribution.manifest.v2+json',
      'Schema version: 2',
      'Platform: linux/amd64',
      `Config: ${json.configDigest} (${json.configSize} bytes)`,
      'Layers: 2',
    ]);
    expect(lines[7]).toBe(`  [0] ${json.layers[0].digest}`);
    expect(lines[8]).toContain(`size ${json.layers[0].size} bytes`);
    expect(lines[9]).toBe(`      chunks ${json.layers[0].chunkCount}, index ${json.layers[0].indexDigest}`);
    expect(lines).toContain(`Chunks created: ${json.chunksCreated}`);
    expect(lines).toContain(`Chunks deduplicated: ${json.chunksDeduplicated}`);
    expect(lines).toContain(`Bytes stored: ${json.bytesStored}`);
    expect(lines).toContain('Indexes created: 2');
    expect(lines.at(-1)).toMatch(/^Time: \d+\.\d{3} s \(\d+\.\d MB\/s\)$/);
  });

  test('should name an untagged image by its archive once', async () => {
    const run = await runCli(['chunk', '--image', OCI_SAMPLE, '--store', store]);
    expect(run.status).toBe(0);
    expect(run.stdout.split('\n')[0]).toBe('Image: tiny-tools-v2.oci.tar');
  });

  test('should record the strategy flags', async () => {
    const fileBoundary = await chunkJSON(DOCKER_SAMPLE, '--strategy', 'file-boundary', '--chunk-size-kb', '16');
    expect(fileBoundary.strategy).toEqual({ name: 'file-boundary', chunkSize: 16 * 1024 });
    const cdc = await chunkJSON(OCI_SAMPLE, '--strategy', 'content-defined', '--min-kb', '4', '--avg-kb', '16', '--max-kb', '64', '--filesystem=false');
    expect(cdc.strategy).toEqual({ name: 'content-defined', min: 4096, avg: 16384, max: 65536 });
    expect(cdc.filesystem).toBe(false);
    const plain = await chunkJSON(OCI_SAMPLE, '--filesystem', 'false');
    expect(plain.filesystem).toBe(false);
    const bare = await chunkJSON(OCI_SAMPLE, '--filesystem');
    expect(bare.filesystem).toBe(true);
  });
});

test.describe('chunk command store', () => {
  test('should lay out chunks, indexes and images on disk', async () => {
    const report = await chunkJSON(DOCKER_SAMPLE);
    expect((await readdir(store)).sort()).toEqual(['chunks', 'images', 'indexes', 'tmp']);

    const chunkFiles = await readdir(join(store, 'chunks'));
    expect(chunkFiles).toHaveLength(report.chunksCreated);
    let bytes = 0;
    for (const name of chunkFiles) {
      expect(name).toMatch(/^[0-9a-f]{64}$/);
      const content = await readFile(join(store, 'chunks', name));
      expect(sha256Of(content), `chunks/${name}`).toBe(`sha256:${name}`);
      bytes += content.length;
    }
    expect(bytes).toBe(report.bytesStored);

    const indexFiles = (await readdir(join(store, 'indexes'))).sort();
    expect(indexFiles).toEqual(report.layers.map((l) => `${l.indexDigest.slice(7)}.json`).sort());
    for (const layer of report.layers) {
      const text = await readFile(join(store, 'indexes', `${layer.indexDigest.slice(7)}.json`));
      expect(sha256Of(text)).toBe(layer.indexDigest);
      const index = JSON.parse(text.toString('utf8'));
      expect(index.diffID).toBe(layer.diffID);
      expect(index.chunks).toHaveLength(layer.chunkCount);
      for (const chunk of index.chunks as { digest: string }[]) {
        expect(chunkFiles).toContain(chunk.digest.slice(7));
      }
    }

    const key = `${report.manifestDigest}@fixed-size:65536`;
    expect(await readdir(join(store, 'images'))).toEqual([imageFileName(key)]);
    const record = JSON.parse(await readFile(join(store, 'images', imageFileName(key)), 'utf8'));
    expect(record.key).toBe(key);
    expect(record.sourceName).toBe('tiny-tools.docker.tar');
    expect(await readdir(join(store, 'tmp'))).toEqual([]);
  });

  test('should deduplicate the base layer the samples share', async () => {
    const first = await chunkJSON(DOCKER_SAMPLE);
    const second = await chunkJSON(OCI_SAMPLE);
    expect(second.layers[0].diffID).toBe(first.layers[0].diffID);
    expect(second.layers[0].chunkCount).toBe(first.layers[0].chunkCount);
    expect(second.chunksDeduplicated).toBeGreaterThanOrEqual(first.layers[0].chunkCount);
    expect(second.chunksCreated).toBeLessThanOrEqual(second.layers[1].chunkCount);
    expect(second.bytesStored).toBeLessThanOrEqual(second.layers[1].uncompressedSize);
    const stats = await new FsChunkStore({ root: store }).stats();
    expect(stats.chunkCount).toBe(first.chunksCreated + second.chunksCreated);
    expect(stats.chunkBytes).toBe(first.bytesStored + second.bytesStored);
    expect(stats.imageCount).toBe(2);
  });

  test('should store nothing new on a second run', async () => {
    const first = await chunkJSON(OCI_SAMPLE);
    const again = await chunkJSON(OCI_SAMPLE);
    expect(again.chunksCreated).toBe(0);
    expect(again.bytesStored).toBe(0);
    expect(again.indexesCreated).toBe(0);
    expect(again.chunksDeduplicated).toBe(first.chunksCreated + first.chunksDeduplicated);
    expect(again.layers).toEqual(first.layers);
  });

  test('should ingest every image of a multi-image archive', async () => {
    const reports = await chunkJSON<IngestReport[]>(repoPath(`${GCR}/test_bundle.tar`));
    expect(Array.isArray(reports)).toBe(true);
    expect(reports.map((r) => r.repoTags[0]).sort()).toEqual(['test_image_1', 'test_image_2']);
    expect(new Set(reports.map((r) => r.manifestDigest)).size).toBe(2);
    const stats = await new FsChunkStore({ root: store }).stats();
    expect(stats.imageCount).toBe(2);

    await rm(store, { recursive: true, force: true });
    const text = await runCli(['chunk', '--image', repoPath(`${GCR}/test_bundle.tar`), '--store', store]);
    expect(text.status).toBe(0);
    const blocks = text.stdout.split('\n\n');
    expect(blocks).toHaveLength(2);
    for (const block of blocks) expect(block).toMatch(/^Image: test_image_[12] \(test_bundle\.tar\)\n/);
  });

  test('should count a layer shared inside one archive once', async () => {
    const reports = await chunkJSON<IngestReport[]>(repoPath(`${GCR}/test_link.tar`));
    const stats = await new FsChunkStore({ root: store }).stats();
    expect(reports.reduce((sum, r) => sum + r.indexesCreated, 0)).toBe(stats.indexCount);
    expect(reports.reduce((sum, r) => sum + r.chunksCreated, 0)).toBe(stats.chunkCount);
  });
});

test.describe('chunk command progress', () => {
  test('should print progress per layer to stderr with --verbose', async () => {
    const run = await runCli(['chunk', '--image', DOCKER_SAMPLE, '--store', store, '--json', '--verbose']);
    expect(run.status).toBe(0);
    const report = JSON.parse(run.stdout) as IngestReport;
    const lines = run.stderr.split('\n');
    for (const line of lines) expect(line).toMatch(/^layer [01]: /);
    for (const layer of report.layers) {
      expect(lines).toContain(
        `layer ${layer.index}: done, ${formatBytes(layer.uncompressedSize)} uncompressed in ${layer.chunkCount} chunks ` +
          `(${layer.chunkCount} new, 0 deduplicated), index ${layer.indexDigest}`,
      );
      expect(lines.some((line) => line.startsWith(`layer ${layer.index}: `) && line.includes(`/${layer.size} bytes read`))).toBe(true);
    }
    // At most one progress line a second per layer, plus the done line.
    expect(lines.length).toBeLessThanOrEqual(2 * report.layers.length + Math.ceil(report.seconds) * report.layers.length);
  });

  test('should print nothing to stderr without --verbose', async () => {
    const run = await runCli(['chunk', '--image', DOCKER_SAMPLE, '--store', store]);
    expect(run.status).toBe(0);
    expect(run.stderr).toBe('');
  });
});

test.describe('chunk command failures', () => {
  async function expectFailure(image: string, message: string): Promise<void> {
    const run = await runCli(['chunk', '--image', image, '--store', store]);
    expect(run.status, run.stderr).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^chunked-containers chunk: /);
    expect(run.stderr).toContain(message);
    expect(run.stderr.split('\n')).toHaveLength(1);
  }

  test('should exit 1 for a missing file', async () => {
    const path = join(work, 'missing.tar');
    await expectFailure(path, `opening ${path}: no such file`);
  });

  test('should exit 1 for a folder', async () => {
    await expectFailure(work, `opening ${work}: is a folder`);
  });

  test('should exit 1 for an archive without manifest.json', async () => {
    await expectFailure(repoPath(`${GCR}/no_manifest.tar`), 'reading no_manifest.tar: neither manifest.json');
  });

  test('should exit 1 for a null manifest.json', async () => {
    await expectFailure(repoPath(`${GCR}/null_manifest.tar`), 'reading null_manifest.tar: manifest.json: expected a JSON array of images, got null');
  });

  test('should exit 1 for a file that is not a tar', async () => {
    const path = join(work, 'notes.tar');
    await writeFile(path, 'these are notes, not an image archive\n'.repeat(40));
    await expectFailure(path, 'notes.tar');
  });

  test('should exit 1 for a corrupt layer and keep the store', async () => {
    await chunkJSON(DOCKER_SAMPLE);
    const before = await new FsChunkStore({ root: store }).stats();
    const written = await writeDockerSave(join(work, 'corrupt.tar'), [
      { repoTag: 'corrupt:1', layers: [smallLayer(1), smallLayer(2)] },
    ]);
    const bad = written.images[0].layers[1];
    await flipByte(written.path, bad.dataOffset + 1024 + 100);
    await expectFailure(written.path, `layer 1 (${bad.member}): uncompressed content does not match the config's diffID`);
    expect(await new FsChunkStore({ root: store }).stats()).toEqual(before);
    expect(await readdir(join(store, 'images'))).toHaveLength(1);
  });

  test('should exit 1 for a corrupt gzip layer of a real archive', async () => {
    const path = join(work, 'tiny.oci.tar');
    await copyFile(repoPath('test/fixtures/archives/debian-tiny/tiny.oci.tar'), path);
    const report = await chunkJSON(path);
    await rm(store, { recursive: true, force: true });
    const member = blobMember(path, report.layers[0].digest);
    const list = execFileSync('tar', ['-tvf', path, '--block-number', member], { encoding: 'utf8' });
    // GNU tar prints "block N:" for the member's header block, so its data starts one block later.
    const block = Number(/^block (\d+):/.exec(list)![1]);
    await flipByte(path, (block + 1) * 512 + Math.floor(report.layers[0].size * 0.3));
    await expectFailure(path, `layer 0 (${member.replace(/^\.\//, '')})`);
    const stats = await new FsChunkStore({ root: store }).stats();
    expect(stats).toEqual({ chunkCount: 0, chunkBytes: 0, indexCount: 0, imageCount: 0 });
  });
});
