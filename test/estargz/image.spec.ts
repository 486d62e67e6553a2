import { expect, test } from '@playwright/test';
import { createHash } from 'node:crypto';
import type { DiffID, Digest } from '../../lib/core/digest';
import { InvalidInputError } from '../../lib/core/errors';
import {
  OCI_LAYER_GZIP_MEDIA_TYPE,
  OCI_MANIFEST_MEDIA_TYPE,
  buildEStargzManifest,
  convertImageConfig,
} from '../../lib/core/estargz/image';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const digestOf = (char: string) => `sha256:${char.repeat(64)}` as Digest;

const CONFIG = {
  created: '2025-05-20T00:00:00Z',
  architecture: 'amd64',
  os: 'linux',
  config: { Env: ['PATH=/bin'], Labels: { 'org.example': 'yes' }, ExposedPorts: { '80/tcp': {} } },
  rootfs: { type: 'layers', diff_ids: [digestOf('a'), digestOf('b')] },
  history: [
    { created: '2025-05-20T00:00:00Z', created_by: 'ADD base' },
    { created: '2025-05-20T00:00:01Z', created_by: 'ENV x=y', empty_layer: true },
    { created: '2025-05-20T00:00:02Z', created_by: 'COPY app' },
  ],
  'x-unknown-field': { kept: true },
};

test.describe('estargz image config', () => {
  test('should replace diff_ids and keep every other field', () => {
    const newDiffIDs = [digestOf('c'), digestOf('d')] as string[] as DiffID[];
    const raw = convertImageConfig(encoder.encode(JSON.stringify(CONFIG)), newDiffIDs);
    const converted = JSON.parse(decoder.decode(raw));
    expect(converted.rootfs).toEqual({ type: 'layers', diff_ids: newDiffIDs });
    expect(converted.history).toEqual(CONFIG.history);
    expect({ ...converted, rootfs: CONFIG.rootfs }).toEqual(CONFIG);
    expect(Object.keys(converted)).toEqual(Object.keys(CONFIG));
  });

  test('should reject a different number of diffIDs', () => {
    const raw = encoder.encode(JSON.stringify(CONFIG));
    expect(() => convertImageConfig(raw, [digestOf('c')] as string[] as DiffID[])).toThrow(
      'config has 2 diff_ids, got 1 new ones',
    );
    expect(() => convertImageConfig(encoder.encode('{'), [])).toThrow(InvalidInputError);
    expect(() => convertImageConfig(encoder.encode('{"rootfs":{}}'), [])).toThrow('missing rootfs.diff_ids');
  });
});

test.describe('estargz image manifest', () => {
  test('should describe eStargz layers with their annotations', async () => {
    const built = await buildEStargzManifest({
      config: { digest: digestOf('e'), size: 514 },
      layers: [
        { digest: digestOf('f'), size: 1000, tocDigest: digestOf('1'), uncompressedSize: 4096 },
        {
          digest: digestOf('0'),
          size: 2000,
          tocDigest: digestOf('2'),
          uncompressedSize: 8192,
          annotations: { 'org.example.layer': 'kept' },
        },
      ],
      annotations: { 'org.opencontainers.image.source': 'fixture' },
    });
    expect(built.mediaType).toBe(OCI_MANIFEST_MEDIA_TYPE);
    expect(built.digest).toBe(`sha256:${createHash('sha256').update(built.rawManifest).digest('hex')}`);
    const manifest = JSON.parse(decoder.decode(built.rawManifest));
    expect(manifest).toEqual({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST_MEDIA_TYPE,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: digestOf('e'), size: 514 },
      layers: [
        {
          mediaType: OCI_LAYER_GZIP_MEDIA_TYPE,
          digest: digestOf('f'),
          size: 1000,
          annotations: {
            'containerd.io/snapshot/stargz/toc.digest': digestOf('1'),
            'io.containers.estargz.uncompressed-size': '4096',
          },
        },
        {
          mediaType: OCI_LAYER_GZIP_MEDIA_TYPE,
          digest: digestOf('0'),
          size: 2000,
          annotations: {
            'org.example.layer': 'kept',
            'containerd.io/snapshot/stargz/toc.digest': digestOf('2'),
            'io.containers.estargz.uncompressed-size': '8192',
          },
        },
      ],
      annotations: { 'org.opencontainers.image.source': 'fixture' },
    });
  });
});
