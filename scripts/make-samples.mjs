#!/usr/bin/env node
// Builds the two sample images in public/samples/ from Debian packages:
//   tiny-tools.docker.tar  docker-archive: base (busybox-static, netbase) + tzdata
//   tiny-tools-v2.oci.tar  oci-archive: the same base layer + tzdata with changes
// The second image shares its base layer with the first and changes the other,
// so deduplication and update costs show. Needs apt-get, dpkg-deb, GNU tar,
// gzip and skopeo. Output bytes are reproducible for the same package versions.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync,
  unlinkSync, symlinkSync, existsSync, renameSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const OUT_DIR = resolve(process.argv[2] ?? 'public/samples');
const PACKAGES = ['busybox-static', 'netbase', 'tzdata', 'media-types'];
const EPOCH = '2024-01-01T00:00:00Z';

function run(command, args, options = {}) {
  return execFileSync(command, args, { stdio: ['ignore', 'pipe', 'inherit'], ...options });
}

function sha256(bytes) {
  return createHash('sha256').update(bytes).digest('hex');
}

function downloadPackages(work) {
  const debs = join(work, 'debs');
  mkdirSync(debs);
  run('apt-get', ['download', ...PACKAGES], { cwd: debs });
  const versions = {};
  for (const file of readdirSync(debs)) {
    const name = file.split('_')[0];
    versions[name] = run('dpkg-deb', ['-f', join(debs, file), 'Version']).toString().trim();
    const root = join(work, 'pkg', name);
    mkdirSync(root, { recursive: true });
    run('dpkg-deb', ['-x', join(debs, file), root]);
  }
  return versions;
}

function copyTree(from, to) {
  run('cp', ['-a', `${from}/.`, to]);
}

function buildBase(work) {
  const root = join(work, 'base');
  mkdirSync(join(root, 'bin'), { recursive: true });
  copyTree(join(work, 'pkg', 'busybox-static'), root);
  copyTree(join(work, 'pkg', 'netbase'), root);
  for (const applet of ['sh', 'ls', 'cat', 'echo', 'mkdir', 'rm', 'cp', 'mv', 'ln', 'date']) {
    symlinkSync('busybox', join(root, 'bin', applet));
  }
  mkdirSync(join(root, 'etc'), { recursive: true });
  writeFileSync(join(root, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n');
  writeFileSync(join(root, 'etc', 'group'), 'root:x:0:\nnogroup:x:65534:\n');
  writeFileSync(join(root, 'etc', 'motd'), 'Chunked Containers sample image\n');
  mkdirSync(join(root, 'tmp'), { mode: 0o1777 });
  run('chmod', ['1777', join(root, 'tmp')]);
  return root;
}

function buildData(work, version) {
  const root = join(work, `data-${version}`);
  mkdirSync(root);
  copyTree(join(work, 'pkg', 'tzdata'), root);
  if (version === 2) {
    // Files added in the middle of the stream, one removed, one changed, and
    // a whiteout that deletes a file of the base layer.
    copyTree(join(work, 'pkg', 'media-types'), root);
    rmSync(join(root, 'usr/share/zoneinfo/right'), { recursive: true, force: true });
    writeFileSync(join(root, 'usr/share/zoneinfo/tzdata.zi'),
      readFileSync(join(root, 'usr/share/zoneinfo/tzdata.zi'), 'utf8') + '# local change\n');
    mkdirSync(join(root, 'etc'), { recursive: true });
    writeFileSync(join(root, 'etc', '.wh.motd'), '');
  }
  return root;
}

/** Writes a deterministic tar of `root` and returns its path. */
function tarTree(root, file) {
  run('tar', [
    '--create', '--file', file, '--directory', root,
    '--sort=name', '--format=pax', `--mtime=${EPOCH}`, '--owner=0', '--group=0',
    '--numeric-owner', '--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime',
    '.',
  ]);
  return file;
}

function writeBlob(layout, bytes) {
  const hex = sha256(bytes);
  writeFileSync(join(layout, 'blobs', 'sha256', hex), bytes);
  return { digest: `sha256:${hex}`, size: bytes.length };
}

function buildLayout(work, name, layerTars, versions) {
  const layout = join(work, `layout-${name}`);
  mkdirSync(join(layout, 'blobs', 'sha256'), { recursive: true });
  const layers = [];
  const diffIDs = [];
  for (const tarFile of layerTars) {
    const raw = readFileSync(tarFile);
    diffIDs.push(`sha256:${sha256(raw)}`);
    const gz = run('gzip', ['-n', '-9', '-c', tarFile], { maxBuffer: 1 << 30 });
    layers.push({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...writeBlob(layout, gz) });
  }
  const config = {
    created: EPOCH,
    architecture: 'amd64',
    os: 'linux',
    config: { Env: ['PATH=/bin:/usr/bin'], Cmd: ['/bin/sh'], Labels: { 'org.opencontainers.image.description': `sample built from Debian packages ${Object.entries(versions).map(([p, v]) => `${p} ${v}`).join(', ')}` } },
    rootfs: { type: 'layers', diff_ids: diffIDs },
    history: layerTars.map((_, i) => ({ created: EPOCH, created_by: `make-samples layer ${i + 1}` })),
  };
  const configBlob = writeBlob(layout, Buffer.from(JSON.stringify(config)));
  const manifest = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...configBlob },
    layers,
  };
  const manifestBlob = writeBlob(layout, Buffer.from(JSON.stringify(manifest)));
  writeFileSync(join(layout, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  writeFileSync(join(layout, 'index.json'), JSON.stringify({
    schemaVersion: 2,
    manifests: [{
      mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifestBlob,
      annotations: { 'org.opencontainers.image.ref.name': name },
    }],
  }));
  return layout;
}

function main() {
  const work = mkdtempSync(join(tmpdir(), 'samples-'));
  try {
    const versions = downloadPackages(work);
    const base = tarTree(buildBase(work), join(work, 'base.tar'));
    const data1 = tarTree(buildData(work, 1), join(work, 'data1.tar'));
    const data2 = tarTree(buildData(work, 2), join(work, 'data2.tar'));
    mkdirSync(OUT_DIR, { recursive: true });
    const v1 = buildLayout(work, 'latest', [base, data1], versions);
    const v2 = buildLayout(work, 'v2', [base, data2], versions);
    const v1File = join(OUT_DIR, 'tiny-tools.docker.tar');
    const v2File = join(OUT_DIR, 'tiny-tools-v2.oci.tar');
    for (const file of [v1File, v2File]) if (existsSync(file)) unlinkSync(file);
    run('skopeo', ['copy', '--quiet', `oci:${v1}:latest`, `docker-archive:${v1File}:chunked-containers/tiny-tools:latest`]);
    tarTree(v2, `${v2File}.tmp`);
    renameSync(`${v2File}.tmp`, v2File);
    writeFileSync(join(OUT_DIR, 'samples.json'), JSON.stringify([
      { file: 'tiny-tools.docker.tar', title: 'tiny-tools (docker save)', description: 'busybox and netbase base layer, tzdata layer' },
      { file: 'tiny-tools-v2.oci.tar', title: 'tiny-tools v2 (OCI archive)', description: 'same base layer; tzdata layer with media-types added, files changed and a whiteout' },
    ], null, 2) + '\n');
    console.log(`wrote ${v1File} and ${v2File} (${Object.entries(versions).map(([p, v]) => `${p} ${v}`).join(', ')})`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main();
