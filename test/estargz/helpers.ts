/**
 * Shared test helpers for the eStargz, tar writer and bundle tests: external
 * tools (GNU tar, Python's tarfile, skopeo, the Go estargz checker), reading
 * files as piece streams and the layers of the fixture archives.
 */
import { spawnSync } from 'node:child_process';
import type { SpawnSyncOptions } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  createReadStream,
  createWriteStream,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
} from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createGunzip } from 'node:zlib';
import type { ByteSource } from '../../lib/core/bytes';
import type { TarEvent } from '../../lib/core/tar/entry';
import { parseTarStream } from '../../lib/core/tar/reader';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));
export const FIXTURES = join(REPO, 'test/fixtures');
export const LIST_TAR_PY = join(FIXTURES, 'estargz/list-tar.py');
export const MAKE_LAYERS_PY = join(FIXTURES, 'estargz/make-layers.py');

/** Names that an eStargz layer adds, left out when comparing with the original. */
export const ADDED_NAMES = ['.no.prefetch.landmark', '.prefetch.landmark', 'stargz.index.json'];

/** Returns true when `name` runs from the shell's PATH. */
export function hasTool(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`]).status === 0;
}

/** Runs a command and returns its stdout; throws with its stderr when it fails. */
export function run(command: string, args: string[], options: SpawnSyncOptions = {}): string {
  const result = spawnSync(command, args, { maxBuffer: 256 << 20, encoding: 'utf8', ...options });
  if (result.error) throw result.error;
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  }
  return String(result.stdout);
}

/** Runs a command and returns its exit status and output, without throwing. */
export function runStatus(command: string, args: string[]) {
  const result = spawnSync(command, args, { maxBuffer: 256 << 20, encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Returns a new empty temporary folder. */
export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `${prefix}-`));
}

const VERIFIER_BIN = process.env.ESTARGZ_VERIFY_BIN ?? join(REPO, 'test/tools/bin/estargz-verify');

/**
 * Returns the path of the Go estargz checker, building it when Go and
 * Debian's estargz library are installed, or undefined when they are not.
 */
export function estargzVerifier(): string | undefined {
  if (existsSync(VERIFIER_BIN)) return VERIFIER_BIN;
  const installed = spawnSync('dpkg-query', [
    '-W',
    '-f=${Status}',
    'golang-github-containerd-stargz-snapshotter-dev',
  ]);
  if (!hasTool('go') || !String(installed.stdout).includes('install ok installed')) {
    return undefined;
  }
  // Build to a private path next to the target, then rename, so that parallel
  // workers never run a half-written file.
  mkdirSync(dirname(VERIFIER_BIN), { recursive: true });
  const partial = `${VERIFIER_BIN}.${process.pid}.partial`;
  run('sh', [join(REPO, 'test/tools/estargz-verify/build.sh')], {
    env: { ...process.env, ESTARGZ_VERIFY_BIN: partial },
  });
  renameSync(partial, VERIFIER_BIN);
  return VERIFIER_BIN;
}

/** Yields a file's bytes in pieces, inflated when the file is gzip and `inflate` is set. */
export async function* filePieces(
  path: string,
  pieceSize = 64 * 1024,
  inflate = true,
): AsyncGenerator<Uint8Array> {
  const head = readFileSync(path).subarray(0, 2);
  const stream = createReadStream(path, { highWaterMark: pieceSize });
  const gzip = head[0] === 0x1f && head[1] === 0x8b;
  const input = inflate && gzip ? stream.pipe(createGunzip()) : stream;
  for await (const piece of input) yield new Uint8Array(piece as Buffer);
}

/** Returns a function that parses a tar or tar.gz file anew on each call. */
export function tarEvents(path: string, pieceSize?: number): () => AsyncIterable<TarEvent> {
  return () => parseTarStream(filePieces(path, pieceSize), { name: path });
}

/** Writes an async stream of bytes to a file. */
export async function writeStream(path: string, pieces: AsyncIterable<Uint8Array>): Promise<void> {
  const out = createWriteStream(path);
  for await (const piece of pieces) {
    if (!out.write(piece)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
  }
  await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
}

/** Returns a ByteSource over a file; callers close it with `close()`. */
export async function fileSource(path: string): Promise<ByteSource & { close(): Promise<void> }> {
  const handle = await open(path, 'r');
  const { size } = await handle.stat();
  return {
    name: path,
    size,
    async read(offset, length) {
      const buffer = new Uint8Array(Math.max(0, Math.min(length, size - offset)));
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, offset);
      return buffer.subarray(0, bytesRead);
    },
    close: () => handle.close(),
  };
}

/** One layer of a fixture archive, extracted to a file. */
export interface FixtureLayer {
  /** Archive file name and layer position, for test titles. */
  label: string;
  path: string;
}

const ARCHIVES = [
  'debian-tiny/tiny.docker.tar',
  'debian-tiny/tiny.oci.tar',
  'debian-tiny/tiny-uncompressed.oci.tar',
  'debian-tiny/tiny-estargz.oci.tar',
  'go-containerregistry/test_image_1.tar',
  'go-containerregistry/test_image_2.tar',
  'go-containerregistry/test_bundle.tar',
  'go-containerregistry/test_link.tar',
  'go-containerregistry/test_load_manifest.tar',
  'go-containerregistry/source_image.tar',
  'go-containerregistry/source_image_with_empty_layer_history.tar',
  'go-containerregistry/overwritten_file.tar',
  'go-containerregistry/whiteout_image.tar',
  'go-containerregistry/hello-world-v25.tar',
];

let extractedLayers: FixtureLayer[] | undefined;

/** Extracts every layer of the fixture archives with GNU tar, once per worker; each distinct layer once. */
export function fixtureLayers(): FixtureLayer[] {
  extractedLayers ??= extractLayers();
  return extractedLayers;
}

function extractLayers(): FixtureLayer[] {
  const layers: FixtureLayer[] = [];
  const seen = new Set<string>();
  for (const archive of ARCHIVES) {
    const dir = tempDir('archive');
    run('tar', ['-xf', join(FIXTURES, 'archives', archive), '-C', dir]);
    layerPaths(dir).forEach((path, index) => {
      const key = sha256Hex(path);
      if (seen.has(key)) return;
      seen.add(key);
      layers.push({ label: `${archive} layer ${index}`, path });
    });
  }
  return layers;
}

function sha256Hex(path: string): string {
  return run('sha256sum', [path]).split(' ')[0];
}

/** Returns the layer files of an extracted archive: docker save or OCI layout. */
function layerPaths(dir: string): string[] {
  const manifestPath = join(dir, 'manifest.json');
  if (existsSync(manifestPath)) {
    const manifests = JSON.parse(readFileSync(manifestPath, 'utf8')) as { Layers?: string[] }[] | null;
    return (manifests ?? []).flatMap((manifest) => (manifest.Layers ?? []).map((layer) => join(dir, layer)));
  }
  const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8'));
  return index.manifests.flatMap((descriptor: { digest: string }) => {
    const manifest = JSON.parse(readFileSync(blobPath(dir, descriptor.digest), 'utf8'));
    return (manifest.layers ?? []).map((layer: { digest: string }) => blobPath(dir, layer.digest));
  });
}

function blobPath(dir: string, digest: string): string {
  return join(dir, 'blobs', ...digest.split(':'));
}

/** Returns Python tarfile's view of an archive, the added eStargz entries left out. */
export function pythonListing(path: string): Record<string, unknown>[] {
  const out = run('python3', [LIST_TAR_PY, path, '--skip', ...ADDED_NAMES]);
  return out
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line));
}

/** Returns GNU tar's verbose listing, with runs of spaces collapsed and added entries left out. */
export function gnuListing(path: string): string[] {
  const out = run('tar', ['--full-time', '-tvf', path]);
  return out
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => line.replace(/ +/g, ' '))
    .filter((line) => !ADDED_NAMES.some((name) => line.endsWith(` ${name}`) || line.endsWith(` ./${name}`)));
}

/**
 * Extracts an archive with GNU tar, the added eStargz entries left out.
 * Without root, device nodes cannot be made, so they are left out too.
 */
export function extractTree(archive: string): string {
  const dir = tempDir('tree');
  const excludes = ADDED_NAMES.map((name) => `--exclude=${name}`);
  const asRoot = process.getuid?.() === 0;
  const args = ['-xf', archive, '-C', dir, ...excludes];
  if (!asRoot) args.push('--no-same-owner');
  run('tar', args);
  return dir;
}

/**
 * Returns one line per path under `dir`: type and mode, owner, mtime, size,
 * content digest or link target. Paths are read as bytes (latin1 in the
 * lines), so names that are not UTF-8 compare exactly. GNU tar sets a
 * directory's mtime when the entries leave it, so a reordered archive can
 * leave other directory mtimes; `directoryMtimes: false` leaves them out.
 * Directories that tar creates without an entry get the time of extraction,
 * so the mtimes of `implicitDirectories` are left out too.
 */
export function treeSnapshot(
  dir: string,
  options: { directoryMtimes?: boolean; implicitDirectories?: string[] } = {},
): string[] {
  const lines: string[] = [];
  const inodes = new Map<string, string>();
  const slash = Buffer.from('/');
  const walk = (relative: Buffer) => {
    const full = Buffer.concat([Buffer.from(dir), slash, relative]);
    const names = readdirSync(full, { encoding: 'buffer' }).sort(Buffer.compare);
    for (const name of names) {
      const path = relative.length > 0 ? Buffer.concat([relative, slash, name]) : name;
      const absolute = Buffer.concat([Buffer.from(dir), slash, path]);
      const label = path.toString('latin1');
      const stat = lstatSync(absolute);
      let detail = '';
      if (stat.isSymbolicLink()) detail = `-> ${readlinkSync(absolute, { encoding: 'buffer' }).toString('latin1')}`;
      if (stat.isFile()) {
        detail = createHash('sha256').update(readFileSync(absolute)).digest('hex');
        // Hard links share an inode; each names the first path that had it.
        const inode = `${stat.dev}:${stat.ino}`;
        if (stat.nlink > 1) detail += ` inode=${inodes.get(inode) ?? label}`;
        if (!inodes.has(inode)) inodes.set(inode, label);
      }
      if (stat.isCharacterDevice() || stat.isBlockDevice()) detail = `rdev=${stat.rdev}`;
      const skipMtime =
        stat.isSymbolicLink() ||
        (stat.isDirectory() && options.directoryMtimes === false) ||
        (options.implicitDirectories ?? []).includes(label);
      const mtime = skipMtime ? '' : Math.floor(stat.mtimeMs / 1000);
      const size = stat.isFile() ? stat.size : '';
      lines.push(`${label} ${stat.mode.toString(8)} ${stat.uid}:${stat.gid} ${mtime} ${size} ${detail}`);
      if (stat.isDirectory()) walk(path);
    }
  };
  walk(Buffer.alloc(0));
  return lines;
}
