import { expect, test } from '@playwright/test';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { collectBytes } from '../../lib/core/bytes';
import type { Digest } from '../../lib/core/digest';
import { DigestMismatchError, InvalidInputError, SizeMismatchError } from '../../lib/core/errors';
import { ociLayoutTar } from '../../lib/core/bundle/oci-layout';
import type { BlobPart, LayoutManifest } from '../../lib/core/bundle/oci-layout';
import { buildLayer } from '../../lib/core/estargz/build';
import { buildEStargzManifest, convertImageConfig } from '../../lib/core/estargz/image';
import { sha256 } from '../../lib/core/sha256';
import {
  FIXTURES,
  estargzVerifier,
  filePieces,
  hasTool,
  run,
  tarEvents,
  tempDir,
  writeStream,
} from './helpers';

const encoder = new TextEncoder();

function memoryPart(bytes: Uint8Array, digest: Digest): BlobPart {
  return {
    digest,
    size: bytes.length,
    async *open() {
      yield bytes;
    },
  };
}

function filePart(path: string, digest: Digest): BlobPart {
  return { digest, size: statSync(path).size, open: () => filePieces(path, 64 * 1024, false) };
}

/** Converts the tiny docker-save fixture to eStargz and returns the layout's inputs. */
async function convertTinyImage() {
  const dir = tempDir('bundle-source');
  run('tar', ['-xf', join(FIXTURES, 'archives/debian-tiny/tiny.docker.tar'), '-C', dir]);
  const [entry] = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  const layerPath = join(tempDir('bundle-layer'), 'layer.esgz');
  const { stream, result } = buildLayer(tarEvents(join(dir, entry.Layers[0]))());
  await writeStream(layerPath, stream);
  const layer = await result;
  const config = convertImageConfig(readFileSync(join(dir, entry.Config)), [layer.diffID]);
  const configDigest = await sha256(config);
  const manifest = await buildEStargzManifest({
    config: { digest: configDigest, size: config.length },
    layers: [layer],
  });
  const manifests: LayoutManifest[] = [
    { mediaType: manifest.mediaType, digest: manifest.digest, size: manifest.rawManifest.length, refName: 'tiny-estargz' },
  ];
  const blobs = [
    memoryPart(manifest.rawManifest, manifest.digest),
    memoryPart(config, configDigest),
    filePart(layerPath, layer.digest),
  ];
  return { manifests, blobs, manifest, config, layer, layerPath };
}

async function writeBundle(input: { manifests: LayoutManifest[]; blobs: BlobPart[] }): Promise<string> {
  const path = join(tempDir('bundle'), 'image.oci.tar');
  await writeStream(path, ociLayoutTar(input));
  return path;
}

test.describe('OCI layout bundle', () => {
  test('should hold the layout files in a deterministic tar', async () => {
    const image = await convertTinyImage();
    const first = await writeBundle(image);
    const second = await writeBundle(image);
    expect(readFileSync(second).equals(readFileSync(first))).toBe(true);
    const listing = run('tar', ['-tf', first]).trim().split('\n');
    expect(listing).toEqual([
      'oci-layout',
      'index.json',
      'blobs/',
      'blobs/sha256/',
      ...image.blobs.map((blob) => `blobs/sha256/${blob.digest.slice(7)}`),
    ]);
    const dir = tempDir('bundle-extract');
    run('tar', ['-xf', first, '-C', dir]);
    expect(JSON.parse(readFileSync(join(dir, 'oci-layout'), 'utf8'))).toEqual({ imageLayoutVersion: '1.0.0' });
    const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8'));
    expect(index.manifests).toEqual([
      {
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        digest: image.manifest.digest,
        size: image.manifest.rawManifest.length,
        annotations: { 'org.opencontainers.image.ref.name': 'tiny-estargz' },
      },
    ]);
    expect(readFileSync(join(dir, 'blobs/sha256', image.layer.digest.slice(7))).equals(readFileSync(image.layerPath))).toBe(true);
  });

  test('should be accepted by skopeo inspect and copy', async () => {
    test.skip(!hasTool('skopeo'), 'skopeo is not installed');
    const image = await convertTinyImage();
    const bundle = await writeBundle(image);
    const inspected = JSON.parse(run('skopeo', ['inspect', `oci-archive:${bundle}`]));
    expect(inspected.Digest).toBe(image.manifest.digest);
    expect(inspected.Layers).toEqual([image.layer.digest]);
    expect(inspected.Architecture).toBe('amd64');
    const raw = run('skopeo', ['inspect', '--raw', `oci-archive:${bundle}`]);
    expect(raw).toBe(new TextDecoder().decode(image.manifest.rawManifest));
    const config = run('skopeo', ['inspect', '--config', '--raw', `oci-archive:${bundle}`]);
    expect(config).toBe(new TextDecoder().decode(image.config));

    const copy = join(tempDir('skopeo-copy'), 'image');
    run('skopeo', ['copy', '--quiet', `oci-archive:${bundle}`, `dir:${copy}`]);
    expect(readFileSync(join(copy, 'manifest.json'), 'utf8')).toBe(raw);
    const copiedLayer = join(copy, image.layer.digest.slice(7));
    expect(readFileSync(copiedLayer).equals(readFileSync(image.layerPath))).toBe(true);
    const verifier = estargzVerifier();
    if (verifier) run(verifier, ['-toc-digest', image.layer.tocDigest, copiedLayer]);
  });

  test('should reject parts whose bytes do not match', async () => {
    const bytes = encoder.encode('{"schemaVersion":2}');
    const digest = await sha256(bytes);
    const manifests: LayoutManifest[] = [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest, size: bytes.length }];
    const short = { ...memoryPart(bytes, digest), size: bytes.length + 1 };
    await expect(collectBytes(ociLayoutTar({ manifests: [], blobs: [short] }))).rejects.toBeInstanceOf(SizeMismatchError);
    const wrong = memoryPart(encoder.encode('{"schemaVersion":3}'), digest);
    await expect(collectBytes(ociLayoutTar({ manifests: [], blobs: [wrong] }))).rejects.toBeInstanceOf(DigestMismatchError);
    const unchecked = await collectBytes(ociLayoutTar({ manifests: [], blobs: [wrong] }, { verifyDigests: false }));
    expect(unchecked.length).toBeGreaterThan(0);
    expect(() => ociLayoutTar({ manifests, blobs: [] })).toThrow(InvalidInputError);
    expect(() => ociLayoutTar({ manifests: [], blobs: [memoryPart(bytes, digest), short] })).toThrow('given with sizes');
  });

  test('should write each blob once', async () => {
    const bytes = encoder.encode('same');
    const digest = await sha256(bytes);
    const path = join(tempDir('bundle-once'), 'once.tar');
    await writeStream(path, ociLayoutTar({ manifests: [], blobs: [memoryPart(bytes, digest), memoryPart(bytes, digest)] }));
    const listing = run('tar', ['-tf', path]).trim().split('\n');
    expect(listing.filter((name) => name.endsWith(digest.slice(7)))).toHaveLength(1);
  });
});
