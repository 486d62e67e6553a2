/**
 * Reads the push input (manifest, config, layers) from an OCI image layout
 * tar with a minimal ustar member walk, so these tests do not depend on the
 * archive readers in lib/core. Layers stream from the file on each `open()`.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, openSync, readSync, closeSync, fstatSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Digest } from '../../lib/core/digest';
import type { PushImageInput, PushLayer } from '../../lib/registry/push-flow';

export const TINY_OCI_TAR = fileURLToPath(
  new URL('../fixtures/registry/tiny.oci.tar', import.meta.url),
);

interface Member {
  offset: number;
  size: number;
}

/** The parts of an image that `pushImage` takes, read from an OCI layout tar. */
export type FixtureImage = Pick<PushImageInput, 'manifest' | 'config' | 'layers'>;

/** Reads the first image of the OCI layout tar at `path`. */
export function readOCIImage(path = TINY_OCI_TAR): FixtureImage {
  const members = listMembers(path);
  const read = (name: string) => readMember(path, members, name);
  const index = JSON.parse(read('index.json').toString('utf8'));
  const descriptor = index.manifests[0];
  const manifestBytes = read(blobPath(descriptor.digest));
  const manifest = JSON.parse(manifestBytes.toString('utf8'));
  const configBytes = read(blobPath(manifest.config.digest));
  const layers: PushLayer[] = manifest.layers.map((layer: { digest: Digest; size: number }) => {
    const member = members.get(blobPath(layer.digest));
    if (!member) throw new Error(`fixture: layer ${layer.digest} missing from ${path}`);
    return {
      digest: layer.digest,
      size: layer.size,
      open: () => streamMember(path, member),
    };
  });
  return {
    manifest: { mediaType: descriptor.mediaType, bytes: new Uint8Array(manifestBytes) },
    config: { digest: manifest.config.digest, bytes: new Uint8Array(configBytes) },
    layers,
  };
}

/**
 * Returns an image whose layers are random bytes of the given sizes. The
 * registry stores blobs without reading them, so the layers need not be tars.
 */
export function syntheticImage(layerSizes: number[]): FixtureImage {
  const layerBytes = layerSizes.map((size) => new Uint8Array(randomBytes(size)));
  const layers = layerBytes.map((bytes) => ({
    mediaType: 'application/vnd.oci.image.layer.v1.tar',
    digest: digestOf(bytes),
    size: bytes.length,
  }));
  const configBytes = utf8JSON({
    architecture: 'amd64',
    os: 'linux',
    rootfs: { type: 'layers', diff_ids: layers.map((layer) => layer.digest) },
  });
  const config = {
    mediaType: 'application/vnd.oci.image.config.v1+json',
    digest: digestOf(configBytes),
    size: configBytes.length,
  };
  const mediaType = 'application/vnd.oci.image.manifest.v1+json';
  const manifestBytes = utf8JSON({ schemaVersion: 2, mediaType, config, layers });
  return {
    manifest: { mediaType, bytes: manifestBytes },
    config: { digest: config.digest, bytes: configBytes },
    layers: layerBytes.map((bytes, index) => ({
      digest: layers[index].digest,
      size: bytes.length,
      open: async function* () {
        for (let at = 0; at < bytes.length; at += 100_000) {
          yield bytes.subarray(at, at + 100_000);
        }
      },
    })),
  };
}

/** Returns the OCI digest of `bytes`, computed with node:crypto. */
export function digestOf(bytes: Uint8Array): Digest {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}` as Digest;
}

function utf8JSON(value: unknown): Uint8Array {
  return new Uint8Array(Buffer.from(JSON.stringify(value)));
}

function blobPath(digest: string): string {
  return `blobs/${digest.replace(':', '/')}`;
}

function listMembers(path: string): Map<string, Member> {
  const members = new Map<string, Member>();
  const fd = openSync(path, 'r');
  try {
    const fileSize = fstatSync(fd).size;
    const header = Buffer.alloc(512);
    for (let offset = 0; offset + 512 <= fileSize; ) {
      readSync(fd, header, 0, 512, offset);
      if (header.every((byte) => byte === 0)) break;
      const name = field(header, 0, 100);
      const prefix = field(header, 345, 155);
      const size = parseInt(field(header, 124, 12).trim() || '0', 8);
      const fullName = (prefix ? `${prefix}/${name}` : name).replace(/^\.\//, '');
      members.set(fullName, { offset: offset + 512, size });
      offset += 512 + Math.ceil(size / 512) * 512;
    }
  } finally {
    closeSync(fd);
  }
  return members;
}

function field(header: Buffer, start: number, length: number): string {
  const bytes = header.subarray(start, start + length);
  const end = bytes.indexOf(0);
  return bytes.subarray(0, end < 0 ? length : end).toString('utf8');
}

function readMember(path: string, members: Map<string, Member>, name: string): Buffer {
  const member = members.get(name);
  if (!member) throw new Error(`fixture: ${name} missing from ${path}`);
  const fd = openSync(path, 'r');
  try {
    const out = Buffer.alloc(member.size);
    readSync(fd, out, 0, member.size, member.offset);
    return out;
  } finally {
    closeSync(fd);
  }
}

async function* streamMember(path: string, member: Member): AsyncGenerator<Uint8Array> {
  if (member.size === 0) return;
  const stream = createReadStream(path, {
    start: member.offset,
    end: member.offset + member.size - 1,
    highWaterMark: 64 * 1024,
  });
  for await (const piece of stream) yield new Uint8Array(piece as Buffer);
}
