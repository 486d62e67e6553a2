import { expect, test } from '@playwright/test';
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { openImageArchive } from '../../lib/core/archive/open';
import { selectImage } from '../../lib/core/archive/select';
import type { ImageArchive } from '../../lib/core/archive/types';
import { bytesSource, collectBytes } from '../../lib/core/bytes';
import {
  DigestMismatchError,
  InvalidArchiveError,
  InvalidTarError,
  NotFoundError,
  SizeMismatchError,
  UnsupportedError,
} from '../../lib/core/errors';
import { TAR_FIXTURES, tarOf } from '../fixtures/make-tar-fixtures';
import type { MemberSpec } from '../fixtures/make-tar-fixtures';

const encoder = new TextEncoder();
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
const OCI_LAYER = 'application/vnd.oci.image.layer.v1.tar';

function sha256(bytes: Uint8Array): string {
  return 'sha256:' + createHash('sha256').update(bytes).digest('hex');
}

interface Desc {
  mediaType: string;
  digest: string;
  size: number;
  platform?: { os: string; architecture: string; variant?: string };
  annotations?: Record<string, string>;
  urls?: string[];
}

/** Builds OCI layouts member by member; blobs may be left out on purpose. */
class Layout {
  members: MemberSpec[] = [{ path: 'oci-layout', content: '{"imageLayoutVersion":"1.0.0"}' }];

  blob(bytes: Uint8Array, mediaType: string, store = true): Desc {
    const digest = sha256(bytes);
    const path = `blobs/${digest.replace(':', '/')}`;
    if (store && !this.members.some((m) => m.path === path)) this.members.push({ path, content: bytes });
    return { mediaType, digest, size: bytes.length };
  }

  json(value: unknown, mediaType: string, store = true): Desc {
    return this.blob(encoder.encode(JSON.stringify(value)), mediaType, store);
  }

  /** Adds an image with one layer per tar; returns its manifest descriptor. */
  image(options: {
    tars: Uint8Array[];
    architecture?: string;
    gzip?: boolean;
    storeLayers?: boolean;
    storeManifest?: boolean;
    diffIDs?: string[];
    layerMediaType?: string;
  }): Desc {
    const layers = options.tars.map((tar) => {
      const blob = options.gzip ? gzipSync(tar) : tar;
      const mediaType = options.layerMediaType ?? (options.gzip ? `${OCI_LAYER}+gzip` : OCI_LAYER);
      return this.blob(blob, mediaType, options.storeLayers ?? true);
    });
    const config = this.json(
      {
        architecture: options.architecture ?? 'amd64',
        os: 'linux',
        rootfs: { type: 'layers', diff_ids: options.diffIDs ?? options.tars.map(sha256) },
      },
      OCI_CONFIG,
    );
    const manifest = { schemaVersion: 2, mediaType: OCI_MANIFEST, config, layers };
    return this.json(manifest, OCI_MANIFEST, options.storeManifest ?? true);
  }

  archive(manifests: Desc[], extra: MemberSpec[] = []): Uint8Array {
    const index = { schemaVersion: 2, mediaType: OCI_INDEX, manifests };
    return tarOf([...this.members, { path: 'index.json', content: JSON.stringify(index) }, ...extra]);
  }
}

const layerA = () => tarOf([{ path: 'a.txt', content: 'layer a' }]);
const layerB = () => tarOf([{ path: 'b.txt', content: 'layer b' }]);

async function open(bytes: Uint8Array, name = 'test.tar'): Promise<ImageArchive> {
  return openImageArchive(bytesSource(name, bytes));
}

/** Builds an index of amd64 (complete), arm64 (layer missing), s390x (manifest missing) and an attestation. */
function multiPlatform() {
  const layout = new Layout();
  const amd64 = layout.image({ tars: [layerA(), layerB()], gzip: true });
  const arm64 = layout.image({ tars: [layerB()], architecture: 'arm64', storeLayers: false });
  const s390x = layout.image({ tars: [layerA()], architecture: 's390x', storeManifest: false });
  const attestation = layout.json({ schemaVersion: 2, mediaType: OCI_MANIFEST }, OCI_MANIFEST);
  const index = layout.json(
    {
      schemaVersion: 2,
      mediaType: OCI_INDEX,
      manifests: [
        { ...amd64, platform: { os: 'linux', architecture: 'amd64' } },
        { ...arm64, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
        { ...s390x, platform: { os: 'linux', architecture: 's390x' } },
        {
          ...attestation,
          platform: { os: 'unknown', architecture: 'unknown' },
          annotations: { 'vnd.docker.reference.type': 'attestation-manifest' },
        },
      ],
    },
    OCI_INDEX,
  );
  const top = { ...index, annotations: { 'io.containerd.image.name': 'docker.io/library/multi:1' } };
  return { layout, top, amd64, arm64 };
}

test.describe('openImageArchive multi-platform indexes', () => {
  test('should list each platform and leave out attestations', async () => {
    const { layout, top, amd64, arm64 } = multiPlatform();
    const archive = await open(layout.archive([top]));
    expect(archive.format).toBe('oci-layout');
    expect(archive.images.map((e) => [e.name, e.group, e.platform?.architecture, e.available])).toEqual([
      ['docker.io/library/multi:1', 0, 'amd64', true],
      ['docker.io/library/multi:1', 0, 'arm64', false],
      ['docker.io/library/multi:1', 0, 's390x', false],
    ]);
    expect(archive.images[0].manifestDigest).toBe(amd64.digest);
    expect(archive.images[0].repoTags).toEqual(['docker.io/library/multi:1']);
    expect(archive.images[1].unavailableReason).toMatch(/^missing blobs: sha256:/);
    expect(archive.images[1].manifestDigest).toBe(arm64.digest);
    expect(archive.images[2].unavailableReason).toMatch(/^manifest blob sha256:[0-9a-f]+ is missing$/);
  });

  test('should pick linux/amd64 by default and load it', async () => {
    const { layout, top } = multiPlatform();
    const archive = await open(layout.archive([top]));
    const index = selectImage(archive);
    expect(index).toBe(0);
    const image = await archive.loadImage(index);
    expect(image.layers.map((l) => l.compression)).toEqual(['gzip', 'gzip']);
    for (const layer of image.layers) await collectBytes(layer.open());
  });

  test('should report an unavailable platform only when it is picked', async () => {
    const { layout, top } = multiPlatform();
    const archive = await open(layout.archive([top]));
    const arm = { os: 'linux', architecture: 'arm64', variant: 'v8' };
    expect(() => selectImage(archive, { platform: arm })).toThrow(NotFoundError);
    expect(() => selectImage(archive, { platform: arm })).toThrow(
      /no available image for linux\/arm64\/v8; the archive has .*linux\/arm64\/v8 \(unavailable\)/,
    );
    const load = archive.loadImage(1);
    await expect(load).rejects.toBeInstanceOf(InvalidArchiveError);
    await expect(load).rejects.toThrow(
      /^reading test\.tar: image docker\.io\/library\/multi:1 \(linux\/arm64\/v8\) is not available: missing blobs: /,
    );
  });

  test('should fall back to any available platform when none is named', async () => {
    const layout = new Layout();
    const arm = layout.image({ tars: [layerA()], architecture: 'arm64' });
    const archive = await open(layout.archive([arm]));
    expect(archive.images[0].platform).toEqual({ os: 'linux', architecture: 'arm64' });
    expect(selectImage(archive)).toBe(0);
    expect(() => selectImage(archive, { platform: { os: 'linux', architecture: 'amd64' } })).toThrow(
      NotFoundError,
    );
  });

  test('should name images by ref name and take Docker 25 repo tags', async () => {
    const layout = new Layout();
    const image = layout.image({ tars: [layerA()] });
    const manifest = JSON.parse(new TextDecoder().decode(
      layout.members.find((m) => m.path === `blobs/${image.digest.replace(':', '/')}`)!.content as Uint8Array,
    ));
    const dockerManifest = [
      { Config: `blobs/${manifest.config.digest.replace(':', '/')}`, RepoTags: ['multi:latest'], Layers: [] },
    ];
    const tagged = { ...image, annotations: { 'org.opencontainers.image.ref.name': 'latest' } };
    const plain = await open(layout.archive([tagged]));
    expect(plain.images[0].name).toBe('latest');
    expect(plain.images[0].repoTags).toEqual([]);
    const docker = await open(
      layout.archive([tagged], [{ path: 'manifest.json', content: JSON.stringify(dockerManifest) }]),
    );
    expect(docker.format).toBe('docker-save');
    expect(docker.images[0].name).toBe('multi:latest');
    expect(docker.images[0].repoTags).toEqual(['multi:latest']);
    expect((await docker.loadImage(0)).manifestSynthesized).toBe(false);
  });
});

test.describe('openImageArchive layout errors', () => {
  test('should reject an unsupported oci-layout version', async () => {
    const layout = new Layout();
    layout.members[0] = { path: 'oci-layout', content: '{"imageLayoutVersion":"2.0.0"}' };
    const run = open(layout.archive([layout.image({ tars: [layerA()] })]));
    await expect(run).rejects.toBeInstanceOf(UnsupportedError);
    await expect(run).rejects.toThrow('image layout version 2.0.0 is not supported');
  });

  test('should require oci-layout next to index.json', async () => {
    const layout = new Layout();
    const image = layout.image({ tars: [layerA()] });
    layout.members.shift();
    const run = open(layout.archive([image]));
    await expect(run).rejects.toBeInstanceOf(InvalidArchiveError);
    await expect(run).rejects.toThrow('reading test.tar: member oci-layout is missing');
  });

  test('should name the member with invalid JSON', async () => {
    const bad = tarOf([
      { path: 'oci-layout', content: '{"imageLayoutVersion":"1.0.0"}' },
      { path: 'index.json', content: '{"schemaVersion": 2, "manifests": [' },
    ]);
    const run = open(bad);
    await expect(run).rejects.toBeInstanceOf(InvalidArchiveError);
    await expect(run).rejects.toThrow(/^reading test\.tar: index\.json: invalid JSON/);
    const docker = open(tarOf([{ path: 'manifest.json', content: '[{"Config": 3}]' }]));
    await expect(docker).rejects.toThrow(
      'reading test.tar: manifest.json[0]: Config must be a string, got 3',
    );
  });

  test('should reject an index that lists no images', async () => {
    const run = open(new Layout().archive([]));
    await expect(run).rejects.toThrow('reading test.tar: index.json lists no images');
  });

  test('should reject schema 1 manifests naming the media type', async () => {
    const layout = new Layout();
    const schema1 = 'application/vnd.docker.distribution.manifest.v1+prettyjws';
    const manifest = layout.json({ schemaVersion: 1, mediaType: schema1, fsLayers: [] }, OCI_MANIFEST);
    const archive = await open(layout.archive([manifest]));
    expect(archive.images[0].available).toBe(false);
    const load = archive.loadImage(0);
    await expect(load).rejects.toBeInstanceOf(UnsupportedError);
    await expect(load).rejects.toThrow(`Docker schema 1 manifests (${schema1}) are not supported`);
  });

  test('should reject foreign and unknown layer media types', async () => {
    const foreign = 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip';
    const odd = 'application/vnd.example.layer.v1+squashfs';
    for (const mediaType of [foreign, odd]) {
      const layout = new Layout();
      const image = layout.image({ tars: [layerA()], layerMediaType: mediaType });
      const load = (await open(layout.archive([image]))).loadImage(0);
      await expect(load).rejects.toBeInstanceOf(UnsupportedError);
      await expect(load).rejects.toThrow(mediaType);
      await expect(load).rejects.toThrow(/^reading test\.tar: layer 0 \(blobs\/sha256\/[0-9a-f]{64}\): /);
    }
  });

  test('should reject a config whose diff_ids do not match the layers', async () => {
    const layout = new Layout();
    const image = layout.image({ tars: [layerA(), layerB()], diffIDs: [sha256(layerA())] });
    const load = (await open(layout.archive([image]))).loadImage(0);
    await expect(load).rejects.toBeInstanceOf(InvalidArchiveError);
    await expect(load).rejects.toThrow(/lists 2 layers, but config blobs\/sha256\/[0-9a-f]+ has 1 diff_ids/);
  });

  test('should check manifest and config digests and sizes', async () => {
    const layout = new Layout();
    const image = layout.image({ tars: [layerA()] });
    const wrongDigest = { ...image, digest: sha256(encoder.encode('other')) };
    const moved = layout.members.find((m) => m.path.endsWith(image.digest.slice(7)))!;
    layout.members.push({ path: `blobs/sha256/${wrongDigest.digest.slice(7)}`, content: moved.content });
    const archive = await open(layout.archive([wrongDigest, { ...image, size: image.size + 1 }]));
    await expect(archive.loadImage(0)).rejects.toBeInstanceOf(DigestMismatchError);
    await expect(archive.loadImage(0)).rejects.toThrow(`(image manifest): expected ${wrongDigest.digest}`);
    await expect(archive.loadImage(1)).rejects.toBeInstanceOf(SizeMismatchError);
    await expect(archive.loadImage(1)).rejects.toThrow(`expected ${image.size + 1} bytes, got ${image.size}`);
  });

  test('should reject a layer whose bytes do not match its media type', async () => {
    const layout = new Layout();
    const image = layout.image({ tars: [layerA()], layerMediaType: `${OCI_LAYER}+gzip` });
    const load = (await open(layout.archive([image]))).loadImage(0);
    await expect(load).rejects.toBeInstanceOf(InvalidArchiveError);
    await expect(load).rejects.toThrow('the media type names gzip, but the content is an uncompressed tar');
  });
});

test.describe('ArchiveLayer.open', () => {
  /** Builds a layout whose layer blob is stored under its digest but contains other bytes. */
  function tamperedLayer(replacement: Uint8Array) {
    const layout = new Layout();
    const image = layout.image({ tars: [layerA()] });
    const layerPath = `blobs/${sha256(layerA()).replace(':', '/')}`;
    layout.members.find((m) => m.path === layerPath)!.content = replacement;
    return layout.archive([image]);
  }

  test('should throw DigestMismatchError at the end of a tampered layer', async () => {
    const other = layerA().slice();
    other[600] ^= 1;
    const image = await (await open(tamperedLayer(other))).loadImage(0);
    const pieces: Uint8Array[] = [];
    const read = async () => {
      for await (const piece of image.layers[0].open({ pieceSize: 512 })) pieces.push(piece);
    };
    await expect(read()).rejects.toBeInstanceOf(DigestMismatchError);
    await expect(read()).rejects.toThrow(/^reading test\.tar: layer 0 \(blobs\/sha256\/[0-9a-f]+\): expected sha256:/);
    expect(pieces.length).toBeGreaterThan(1);
    const unchecked = await collectBytes(image.layers[0].open({ verifyDigest: false }));
    expect(unchecked.length).toBe(other.length);
  });

  test('should throw SizeMismatchError before reading a layer of the wrong size', async () => {
    const longer = new Uint8Array(layerA().length + 512);
    longer.set(layerA());
    const image = await (await open(tamperedLayer(longer))).loadImage(0);
    let pieces = 0;
    const read = async () => {
      for await (const _ of image.layers[0].open()) pieces++;
    };
    await expect(read()).rejects.toBeInstanceOf(SizeMismatchError);
    await expect(read()).rejects.toThrow(`expected ${layerA().length} bytes, got ${longer.length}`);
    expect(pieces).toBe(0);
  });

  test('should stop with AbortError when the signal aborts', async () => {
    const layout = new Layout();
    const image = await (await open(layout.archive([layout.image({ tars: [layerA()] })]))).loadImage(0);
    const controller = new AbortController();
    const read = async () => {
      for await (const _ of image.layers[0].open({ pieceSize: 512, signal: controller.signal })) {
        controller.abort();
      }
    };
    await expect(read()).rejects.toMatchObject({ name: 'AbortError' });
  });
});

test.describe('openImageArchive docker save edge cases', () => {
  const config = (diffIDs: string[]) =>
    JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: diffIDs } });

  function dockerArchive(layers: MemberSpec[], layerPaths: string[], diffIDs: string[]) {
    const rawConfig = config(diffIDs);
    const configPath = `${sha256(encoder.encode(rawConfig)).slice(7)}.json`;
    const manifest = [{ Config: configPath, RepoTags: ['edge:1'], Layers: layerPaths }];
    return tarOf([
      { path: configPath, content: rawConfig },
      ...layers,
      { path: 'manifest.json', content: JSON.stringify(manifest) },
    ]);
  }

  test('should mark an image with a missing layer unavailable', async () => {
    const archive = await open(dockerArchive([], ['gone/layer.tar'], [sha256(layerA())]));
    expect(archive.images[0]).toMatchObject({
      available: false,
      unavailableReason: 'missing members: gone/layer.tar',
    });
    const load = archive.loadImage(0);
    await expect(load).rejects.toBeInstanceOf(InvalidArchiveError);
    await expect(load).rejects.toThrow('reading test.tar: layer 0 (gone/layer.tar) is missing from the archive');
  });

  test('should read a compressed legacy layer without a digest', async () => {
    const gzip = gzipSync(layerA());
    const archive = await open(
      dockerArchive([{ path: 'id/layer.tar', content: gzip }], ['id/layer.tar'], [sha256(layerA())]),
    );
    const image = await archive.loadImage(0);
    const [layer] = image.layers;
    expect(layer.compression).toBe('gzip');
    expect(layer.mediaType).toBe('application/vnd.docker.image.rootfs.diff.tar.gzip');
    expect(layer.digest).toBeUndefined();
    expect(image.manifestDigest).toBeUndefined();
    expect(image.rawManifest).toBeUndefined();
    expect(await collectBytes(layer.open())).toEqual(new Uint8Array(gzip));
  });

  test('should reject a legacy layer that is not gzip, zstd or tar', async () => {
    const junk = encoder.encode('not a layer'.repeat(100));
    const load = (await open(
      dockerArchive([{ path: 'id/layer.tar', content: junk }], ['id/layer.tar'], [sha256(junk)]),
    )).loadImage(0);
    await expect(load).rejects.toBeInstanceOf(UnsupportedError);
    await expect(load).rejects.toThrow('layer 0 (id/layer.tar) is neither gzip, zstd nor tar');
  });

  test('should resolve hard links, long names and ./ prefixes in the outer tar', async () => {
    const long = `${'d'.repeat(120)}/layer.tar`;
    const gnuLong = `${'g'.repeat(130)}/layer.tar`;
    const layers: MemberSpec[] = [
      { path: `./${long}`, content: layerA() },
      { path: 'copy/layer.tar', hardlink: long },
      { path: gnuLong, content: layerB(), longName: 'gnu' },
    ];
    const paths = [long, 'copy/layer.tar', gnuLong];
    const diffIDs = [sha256(layerA()), sha256(layerA()), sha256(layerB())];
    const image = await (await open(dockerArchive(layers, paths, diffIDs))).loadImage(0);
    expect(image.layers.map((l) => l.size)).toEqual([layerA().length, layerA().length, layerB().length]);
    for (const layer of image.layers) {
      expect(sha256(await collectBytes(layer.open()))).toBe(layer.diffID);
    }
  });

  test('should reject a symlink loop', async () => {
    const layers: MemberSpec[] = [
      { path: 'a/layer.tar', symlink: '../b/layer.tar' },
      { path: 'b/layer.tar', symlink: '../a/layer.tar' },
    ];
    const run = open(dockerArchive(layers, ['a/layer.tar'], [sha256(layerA())]));
    await expect(run).rejects.toBeInstanceOf(InvalidArchiveError);
    await expect(run).rejects.toThrow('member a/layer.tar is a link loop');
  });

  test('should reject a truncated outer tar', async () => {
    const archive = dockerArchive(
      [{ path: 'id/layer.tar', content: layerA() }],
      ['id/layer.tar'],
      [sha256(layerA())],
    );
    const cut = archive.subarray(0, 512 * 5 + 100);
    const run = open(cut);
    await expect(run).rejects.toBeInstanceOf(InvalidTarError);
    await expect(run).rejects.toThrow(/^reading test\.tar: unexpected end of tar at offset \d+/);
  });

  test('should reject an outer tar with a bad header checksum', async () => {
    const archive = TAR_FIXTURES['bad-checksum']();
    const run = open(archive);
    await expect(run).rejects.toBeInstanceOf(InvalidTarError);
    await expect(run).rejects.toMatchObject({ offset: 1024 });
  });

  test('should accept a config member given through a PAX header', async () => {
    const rawConfig = config([sha256(layerA())]);
    const configPath = `${'c'.repeat(110)}.json`;
    const manifest = [{ Config: configPath, RepoTags: null, Layers: ['l.tar'] }];
    const archive = tarOf([
      { path: configPath, content: rawConfig },
      { path: 'l.tar', content: layerA() },
      { path: 'manifest.json', content: JSON.stringify(manifest) },
    ]);
    const image = await (await open(archive)).loadImage(0);
    expect(image.repoTags).toEqual([]);
    expect(image.name).toBe(sha256(encoder.encode(rawConfig)));
  });
});
