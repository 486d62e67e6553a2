/**
 * eStargz in Node: the layers of the base image built with lib/core/estargz
 * `buildLayer`, one process per core, then the bundle (OCI layout tar);
 * beside it the estargz library's own `estargz.Build` on the same plain tar
 * layers (scripts/bench/estargz-build, built here with Debian's Go packages).
 */
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { ociLayoutTar, type BlobPart } from '../../lib/core/bundle/oci-layout';
import type { DiffID, Digest } from '../../lib/core/digest';
import { buildEStargzManifest, convertImageConfig } from '../../lib/core/estargz/image';
import { openImageArchive } from '../../lib/core/archive/open';
import { sha256 } from '../../lib/core/sha256';
import { openFileSource } from '../../lib/node/file-source';
import type { LayerBuild } from './estargz-layer';
import { hasProgram, run, writeStreamToFile } from './files';

export interface OwnBuild {
  level: number;
  processes: number;
  layers: LayerBuild[];
  /** Every layer, side by side, from the first process start to the last exit. */
  layersSeconds: number;
  bundle: { bytes: number; seconds: number };
  /** Layers and bundle. */
  seconds: number;
}

export interface LibraryBuild {
  tool: string;
  parts: number;
  level: number;
  layers: { inBytes: number; outBytes: number; seconds: number }[];
  seconds: number;
}

const LAYER_SCRIPT = resolve('scripts/bench/estargz-layer.ts');
const GO_SOURCE = resolve('scripts/bench/estargz-build');
const GO_TOOL = join(process.env.BENCH_TOOLS ?? '/tmp/cc-bench-tools', 'estargz-build');

/** Builds each tar with buildLayer in its own process, `processes` at a time. */
async function buildSideBySide(tars: string[], out: string, level: number, processes: number) {
  const results: LayerBuild[] = new Array(tars.length);
  let next = 0;
  const worker = async () => {
    while (next < tars.length) {
      const i = next++;
      const target = join(out, `${basename(tars[i], '.tar')}.esgz`);
      const done = await run(process.execPath, ['--import', 'tsx', LAYER_SCRIPT, tars[i], target, String(level)]);
      if (done.status !== 0) throw new Error(`building ${tars[i]}: ${done.stderr.trim()}`);
      results[i] = JSON.parse(done.stdout) as LayerBuild;
    }
  };
  await Promise.all(Array.from({ length: Math.min(processes, tars.length) }, worker));
  return results;
}

function filePart(path: string, digest: Digest, size: number): BlobPart {
  return { digest, size, open: () => createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Uint8Array> };
}

function bytesPart(bytes: Uint8Array, digest: Digest): BlobPart {
  return {
    digest,
    size: bytes.length,
    async *open() {
      yield bytes;
    },
  };
}

/** Writes the OCI layout tar of the converted image; returns its size. */
async function writeBundle(archive: string, built: LayerBuild[], files: string[], path: string): Promise<number> {
  const source = await openFileSource(archive);
  let rawConfig: Uint8Array;
  try {
    const opened = await openImageArchive(source);
    rawConfig = (await opened.loadImage(opened.images.findIndex((entry) => entry.available))).rawConfig;
  } finally {
    await source.close();
  }
  const config = convertImageConfig(rawConfig, built.map((layer) => layer.diffID as DiffID));
  const configDigest = await sha256(config);
  const manifest = await buildEStargzManifest({
    config: { digest: configDigest, size: config.length },
    layers: built.map((layer) => ({
      digest: layer.digest as Digest,
      size: layer.outBytes,
      tocDigest: layer.tocDigest as Digest,
      uncompressedSize: layer.inBytes,
    })),
  });
  const blobs = [
    bytesPart(manifest.rawManifest, manifest.digest),
    bytesPart(config, configDigest),
    ...built.map((layer, i) => filePart(files[i], layer.digest as Digest, layer.outBytes)),
  ];
  const manifests = [
    { mediaType: manifest.mediaType, digest: manifest.digest, size: manifest.rawManifest.length, refName: 'bench' },
  ];
  return writeStreamToFile(ociLayoutTar({ manifests, blobs }), path);
}

/** Builds every layer side by side, one process per core, then writes the bundle. */
export async function buildOwn(archive: string, tars: string[], scratch: string, level: number): Promise<OwnBuild> {
  const out = join(scratch, 'own');
  await mkdir(out, { recursive: true });
  const processes = availableParallelism();
  const started = performance.now();
  const layers = await buildSideBySide(tars, out, level, processes);
  const layersSeconds = (performance.now() - started) / 1000;
  const files = tars.map((tar) => join(out, `${basename(tar, '.tar')}.esgz`));
  const bundleStarted = performance.now();
  const bytes = await writeBundle(archive, layers, files, join(scratch, 'bundle.oci.tar'));
  const bundleSeconds = (performance.now() - bundleStarted) / 1000;
  return {
    level,
    processes,
    layers,
    layersSeconds,
    bundle: { bytes, seconds: bundleSeconds },
    seconds: (performance.now() - started) / 1000,
  };
}

/** Builds the Go tool once; returns its path, or why it is not available. */
export async function goTool(): Promise<{ path: string } | { unavailable: string }> {
  if (existsSync(GO_TOOL)) return { path: GO_TOOL };
  if (!(await hasProgram('go', ['version']))) {
    return { unavailable: 'go is not installed (apt-get install golang-go golang-github-containerd-stargz-snapshotter-dev)' };
  }
  const env = {
    ...process.env,
    GO111MODULE: 'off',
    GOPATH: '/usr/share/gocode',
    GOFLAGS: '',
    GOCACHE: process.env.GOCACHE ?? '/tmp/cc-bench-gocache',
  };
  const built = await run('go', ['build', '-trimpath', '-o', GO_TOOL, '.'], { cwd: GO_SOURCE, env });
  if (built.status !== 0) {
    return { unavailable: `go build failed (is golang-github-containerd-stargz-snapshotter-dev installed?): ${built.stderr.trim().split('\n')[0]}` };
  }
  return { path: GO_TOOL };
}

/** Runs estargz.Build over every tar, one layer after another, with `parts` parts each. */
export async function buildWithLibrary(
  tool: string,
  tars: string[],
  scratch: string,
  level: number,
  parts: number,
): Promise<LibraryBuild> {
  const out = join(scratch, `library-${parts}`);
  await mkdir(out, { recursive: true });
  const done = await run(tool, ['-parts', String(parts), '-level', String(level), '-out', out, ...tars]);
  if (done.status !== 0) throw new Error(`estargz-build: ${done.stderr.trim()}`);
  const lines = done.stdout.trim().split('\n').map((line) => JSON.parse(line));
  const total = lines.find((line) => line.total);
  return {
    tool: 'estargz.Build (stargz-snapshotter ' + packageVersion('golang-github-containerd-stargz-snapshotter-dev') + ')',
    parts,
    level,
    layers: lines.filter((line) => !line.total).map(({ inBytes, outBytes, seconds }) => ({ inBytes, outBytes, seconds })),
    seconds: total.seconds,
  };
}

/** Version of an installed Debian package, or "unknown". */
export function packageVersion(name: string): string {
  try {
    const status = readFileSync('/var/lib/dpkg/status', 'utf8');
    const block = status.split('\n\n').find((b) => b.startsWith(`Package: ${name}\n`));
    return /^Version: (.+)$/m.exec(block ?? '')?.[1] ?? 'unknown';
  } catch {
    return 'unknown';
  }
}
