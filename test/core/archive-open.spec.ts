import { expect, test } from '@playwright/test';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { openImageArchive } from '../../lib/core/archive/open';
import { selectImage } from '../../lib/core/archive/select';
import type { ArchiveImage, ArchiveLayer } from '../../lib/core/archive/types';
import type { ByteSource } from '../../lib/core/bytes';
import { collectBytes } from '../../lib/core/bytes';
import { decompress } from '../../lib/core/compression';
import { InvalidArchiveError } from '../../lib/core/errors';
import { TarStreamParser } from '../../lib/core/tar/reader';
import { openFileSource } from '../../lib/node/file-source';

const FIXTURES = new URL('../fixtures/archives/', import.meta.url);

/** A ByteSource over a fixture that records every read. */
function recordingSource(path: string) {
  const bytes = new Uint8Array(readFileSync(new URL(path, FIXTURES)));
  const reads: { offset: number; length: number }[] = [];
  const source: ByteSource = {
    name: path.slice(path.lastIndexOf('/') + 1),
    size: bytes.length,
    async read(offset, length) {
      reads.push({ offset, length });
      return bytes.subarray(offset, Math.min(bytes.length, offset + length));
    },
  };
  return { source, reads, bytes };
}

function sha256(bytes: Uint8Array): string {
  return 'sha256:' + createHash('sha256').update(bytes).digest('hex');
}

async function load(path: string, index = 0): Promise<ArchiveImage> {
  const archive = await openImageArchive(recordingSource(path).source);
  return archive.loadImage(index);
}

/** Returns the uncompressed tar of a layer, checked by the layer's own open(). */
async function layerTar(layer: ArchiveLayer): Promise<Uint8Array> {
  return collectBytes(decompress(layer.open({ pieceSize: 4096 }), layer.compression));
}

function tarPaths(tar: Uint8Array): string[] {
  const parser = new TarStreamParser();
  return [...parser.push(tar), ...parser.finish()].flatMap((event) =>
    event.type === 'entry' ? [event.entry.path] : [],
  );
}

test.describe('openImageArchive with docker save archives', () => {
  test('should read a legacy docker save archive', async () => {
    const { source } = recordingSource('go-containerregistry/test_image_1.tar');
    const archive = await openImageArchive(source);
    expect(archive.format).toBe('docker-save');
    expect(archive.name).toBe('test_image_1.tar');
    expect(archive.images).toEqual([
      {
        name: 'bazel/v1/tarball:test_image_1',
        repoTags: ['bazel/v1/tarball:test_image_1'],
        group: 0,
        platform: { os: 'linux', architecture: 'amd64' },
        available: true,
      },
    ]);
    const image = await archive.loadImage(0);
    expect(image.configDigest).toBe(
      'sha256:6e0b05049ed9c17d02e1a55e80d6599dbfcce7f4f4b022e3c673e685789c470e',
    );
    expect(image.manifestSynthesized).toBe(true);
    expect(image.layers).toHaveLength(1);
    const [layer] = image.layers;
    expect(layer.member).toBe('555b1001d54ed229f56990845856f080b0707348b26b3aa85aaf58d5570cdee0/layer.tar');
    expect(layer.compression).toBe('none');
    expect(layer.mediaType).toBe('application/vnd.docker.image.rootfs.diff.tar');
    expect(layer.size).toBe(10240);
    expect(layer.digest).toBe(layer.diffID);
    expect(sha256(await layerTar(layer))).toBe(layer.diffID);
  });

  test('should synthesize the manifest skopeo reports', async () => {
    // Digests printed by `skopeo inspect --raw docker-archive:<file> | sha256sum`, skopeo 1.9.3.
    const cases: [string, string][] = [
      ['debian-tiny/tiny.docker.tar', 'sha256:39b0e343af34291684cfe088ff8fd139bdda11e1e188fa46b14782d6aaadf016'],
      ['go-containerregistry/hello-world-v25.tar', 'sha256:22da013ffa1abb79753d1d2cbf79fe598b626eb0a772738073d617be5b71b872'],
      [
        'go-containerregistry/source_image_with_empty_layer_history.tar',
        'sha256:aff7f330b93879462d737f2274feef9bba76ec8bd1a865e5c0b26f3e12dd9a0a',
      ],
    ];
    for (const [path, digest] of cases) {
      const image = await load(path);
      expect(image.manifestDigest, path).toBe(digest);
      expect(sha256(image.rawManifest!), path).toBe(digest);
      expect(image.manifestMediaType).toBe('application/vnd.docker.distribution.manifest.v2+json');
    }
  });

  test('should take the config digest from a stale legacy config name', async () => {
    const image = await load('go-containerregistry/source_image_with_empty_layer_history.tar');
    expect(image.configDigest).toBe(
      'sha256:05b5ec1290589606ce19fabb1fb331f004acd9f618b9b4e813721be1a03a0712',
    );
    expect(image.configDigest).toBe(sha256(image.rawConfig));
  });

  test('should list every image of a bundle', async () => {
    const archive = await openImageArchive(recordingSource('go-containerregistry/test_bundle.tar').source);
    expect(archive.images.map((e) => [e.name, e.group, e.available])).toEqual([
      ['test_image_2', 0, true],
      ['test_image_1', 1, true],
    ]);
    const second = await archive.loadImage(1);
    expect(second.repoTags).toEqual(['test_image_1']);
    expect(second.layers[0].diffID).toBe(
      'sha256:8897395fd26dc44ad0e2a834335b33198cb41ac4d98dfddf58eced3853fa7b17',
    );
  });

  test('should follow a layer.tar symlink to the earlier layer', async () => {
    const archive = await openImageArchive(recordingSource('go-containerregistry/test_link.tar').source);
    const image = await archive.loadImage(1);
    expect(image.name).toBe('bazel/v1/tarball:test_image_3');
    expect(image.layers.map((l) => l.member)).toEqual([
      'b159278ac0c8813245b6c3b22cbbe7abefe3b2ec3fac6c7e87138811e1ef2a88/layer.tar',
      '3fe17a762ab6ad87de78c88326e1667b3e6a8924a0eb92a34a2bfeb40f49824d/layer.tar',
    ]);
    const linked = image.layers[0];
    expect(linked.size).toBe(10240);
    expect(sha256(await layerTar(linked))).toBe(linked.diffID);
    const base = await archive.loadImage(0);
    expect(base.layers[0].diffID).toBe(linked.diffID);
  });

  test('should read layers in order with whiteouts', async () => {
    const image = await load('go-containerregistry/whiteout_image.tar');
    expect(image.layers).toHaveLength(3);
    const paths = [];
    for (const layer of image.layers) {
      const tar = await layerTar(layer);
      expect(sha256(tar)).toBe(layer.diffID);
      paths.push(tarPaths(tar));
    }
    expect(paths.flat().some((p) => p.includes('.wh.'))).toBe(true);
  });

  test('should read the Docker 25 layout through manifest.json when index.json is empty', async () => {
    const archive = await openImageArchive(
      recordingSource('go-containerregistry/hello-world-v25.tar').source,
    );
    expect(archive.format).toBe('docker-save');
    expect(archive.images).toHaveLength(1);
    expect(archive.images[0].platform).toEqual({ os: 'linux', architecture: 'arm64' });
    expect(selectImage(archive)).toBe(0);
    const image = await archive.loadImage(0);
    const [layer] = image.layers;
    expect(layer.member).toBe('blobs/sha256/12660636fe55438cc3ae7424da7ac56e845cdb52493ff9cf949c47a7f57f8b43');
    expect(layer.mediaType).toBe('application/vnd.oci.image.layer.v1.tar');
    expect(layer.digest).toBe('sha256:12660636fe55438cc3ae7424da7ac56e845cdb52493ff9cf949c47a7f57f8b43');
    expect(sha256(await layerTar(layer))).toBe(layer.diffID);
  });

  test('should reject an archive without manifest.json or index.json', async () => {
    const run = openImageArchive(recordingSource('go-containerregistry/no_manifest.tar').source);
    await expect(run).rejects.toBeInstanceOf(InvalidArchiveError);
    await expect(run).rejects.toThrow(
      'reading no_manifest.tar: neither manifest.json (docker save) nor index.json (OCI image layout) is in the archive',
    );
  });

  test('should reject a null manifest.json', async () => {
    const run = openImageArchive(recordingSource('go-containerregistry/null_manifest.tar').source);
    await expect(run).rejects.toBeInstanceOf(InvalidArchiveError);
    await expect(run).rejects.toThrow(
      'reading null_manifest.tar: manifest.json: expected a JSON array of images, got null',
    );
  });
});

test.describe('openImageArchive with OCI layouts', () => {
  const cases: [string, string, string][] = [
    ['debian-tiny/tiny.oci.tar', 'tiny', 'gzip'],
    ['debian-tiny/tiny-uncompressed.oci.tar', 'tiny-uncompressed', 'none'],
    ['debian-tiny/tiny-estargz.oci.tar', 'tiny-estargz', 'gzip'],
  ];

  for (const [path, name, compression] of cases) {
    test(`should read ${name} and verify its layer`, async () => {
      const archive = await openImageArchive(recordingSource(path).source);
      expect(archive.format).toBe('oci-layout');
      expect(archive.images).toHaveLength(1);
      expect(archive.images[0]).toMatchObject({ name, available: true, group: 0 });
      const image = await archive.loadImage(0);
      expect(image.manifestSynthesized).toBe(false);
      expect(sha256(image.rawManifest!)).toBe(image.manifestDigest);
      expect(sha256(image.rawConfig)).toBe(image.configDigest);
      expect(image.platform).toEqual({ os: 'linux', architecture: 'amd64' });
      const [layer] = image.layers;
      expect(layer.compression).toBe(compression);
      const tar = await layerTar(layer);
      expect(sha256(tar)).toBe(layer.diffID);
      expect(tarPaths(tar)).toContain('bin/busybox');
    });
  }

  test('should carry eStargz annotations on the layer', async () => {
    const image = await load('debian-tiny/tiny-estargz.oci.tar');
    expect(image.layers[0].annotations?.['containerd.io/snapshot/stargz/toc.digest']).toBe(
      'sha256:55056358c1e7efd2ae0f24e0024f773d968972c6f20f8ea4a796cf796481fd82',
    );
  });

  test('should read headers only when opening and loading', async () => {
    const { source, reads, bytes } = recordingSource('debian-tiny/tiny.oci.tar');
    const archive = await openImageArchive(source);
    await archive.loadImage(0);
    const total = reads.reduce((n, r) => n + r.length, 0);
    expect(Math.max(...reads.map((r) => r.length))).toBeLessThanOrEqual(4096);
    expect(total).toBeLessThan(8192);
    expect(bytes.length).toBeGreaterThan(1_000_000);
  });

  test('should stream a layer in pieces from a file', async () => {
    const path = fileURLToPath(new URL('debian-tiny/tiny.oci.tar', FIXTURES));
    const source = await openFileSource(path);
    try {
      const image = await (await openImageArchive(source)).loadImage(0);
      const layer = image.layers[0];
      let pieces = 0;
      let size = 0;
      for await (const piece of layer.open({ pieceSize: 65536 })) {
        pieces++;
        size += piece.length;
        expect(piece.length).toBeLessThanOrEqual(65536);
      }
      expect(size).toBe(layer.size);
      expect(pieces).toBe(Math.ceil(layer.size / 65536));
    } finally {
      await source.close();
    }
  });
});
