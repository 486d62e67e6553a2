import { expect, test } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IngestReport } from '../../lib/core/ingest/summary';
import type { TarEntry } from '../../lib/core/tar/entry';
import { runCli } from '../helpers/cli';
import { layerListing, layerMembers, parseLsOutput } from '../fixtures/ingest/gnu-tar';
import type { ListedEntry } from '../fixtures/ingest/gnu-tar';
import { repoPath } from '../fixtures/ingest/ingest-run';

const GCR = 'test/fixtures/archives/go-containerregistry';
const ARCHIVES = {
  docker: repoPath('public/samples/tiny-tools.docker.tar'),
  oci: repoPath('public/samples/tiny-tools-v2.oci.tar'),
  tiny: repoPath('test/fixtures/archives/debian-tiny/tiny.oci.tar'),
  whiteout: repoPath(`${GCR}/whiteout_image.tar`),
  overwritten: repoPath(`${GCR}/overwritten_file.tar`),
};

/** Layer digests of the image in `archive`, from the chunk command's report. */
async function layerDigests(archive: string): Promise<string[]> {
  const folder = await mkdtemp(join(tmpdir(), 'cli-ls-store-'));
  try {
    const run = await runCli(['chunk', '--image', archive, '--store', folder, '--json']);
    expect(run.status).toBe(0);
    return (JSON.parse(run.stdout) as IngestReport).layers.map((layer) => layer.digest);
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

async function ls(...args: string[]): Promise<string> {
  const run = await runCli(['ls', ...args]);
  expect(run.stderr).toBe('');
  expect(run.status).toBe(0);
  return run.stdout;
}

function normalize(path: string): string {
  return path.replace(/^(\.\/)+/, '').replace(/^\/+/, '').replace(/\/+$/, '');
}

/**
 * Applies layer listings by the OCI image spec's changeset rules:
 * `.wh.NAME` deletes NAME and what is below it, `.wh..wh..opq` hides a
 * directory's lower contents, and a later entry replaces an earlier one
 * unless both are directories. Returns the merged entries sorted by path.
 */
function mergeListings(layers: ListedEntry[][]): ListedEntry[] {
  const tree = new Map<string, { entry: ListedEntry; layer: number }>();
  const removeBelow = (dir: string, layer: number) => {
    for (const [path, value] of [...tree]) {
      if (value.layer < layer && (dir === '' || path.startsWith(`${dir}/`))) tree.delete(path);
    }
  };
  layers.forEach((entries, layer) => {
    for (const entry of entries) {
      const path = normalize(entry.path);
      const slash = path.lastIndexOf('/');
      const dir = slash < 0 ? '' : path.slice(0, slash);
      const name = path.slice(slash + 1);
      if (name === '.wh..wh..opq') removeBelow(dir, layer);
      else if (name.startsWith('.wh.')) {
        const target = dir === '' ? name.slice(4) : `${dir}/${name.slice(4)}`;
        tree.delete(target);
        removeBelow(target, layer);
      }
    }
    for (const entry of entries) {
      const path = normalize(entry.path);
      if (path === '' || path.slice(path.lastIndexOf('/') + 1).startsWith('.wh.')) continue;
      const lower = tree.get(path);
      if (lower && !(lower.entry.mode.startsWith('d') && entry.mode.startsWith('d'))) removeBelow(path, layer);
      tree.set(path, { entry: { ...entry, path }, layer });
    }
  });
  const merged = [...tree.values()].map((value) => value.entry);
  return merged.sort(byPath);
}

/** Orders entries by path in UTF-16 code unit order, as Array.prototype.sort does for strings. */
function byPath(a: ListedEntry, b: ListedEntry): number {
  if (a.path === b.path) return 0;
  return a.path < b.path ? -1 : 1;
}

test.describe('ls command', () => {
  for (const name of ['docker', 'oci', 'tiny'] as const) {
    test(`should list each layer like GNU tar: ${name}`, async () => {
      const archive = ARCHIVES[name];
      const members = layerMembers(archive);
      expect(members.length).toBeGreaterThan(0);
      for (const [i, member] of members.entries()) {
        const listed = parseLsOutput(await ls('--image', archive, '--layer', String(i)));
        expect(listed, `layer ${i}`).toEqual(layerListing(archive, member));
      }
    });
  }

  test('should list every layer under a header by default', async () => {
    const archive = ARCHIVES.docker;
    const digests = await layerDigests(archive);
    const all = await ls('--image', archive);
    const expected: string[] = [];
    for (const [i, digest] of digests.entries()) {
      expected.push(`# layer ${i} ${digest}`, await ls('--image', archive, '--layer', String(i)));
    }
    expect(all).toBe(expected.join('\n'));
  });

  const merges: [keyof typeof ARCHIVES, string[]][] = [
    ['whiteout', ['bar.txt']],
    ['overwritten', ['bar.txt', 'foo.txt -> bar.txt']],
    ['oci', []],
  ];
  for (const [name, known] of merges) {
    test(`should merge the layers of ${name} with whiteouts applied`, async () => {
      const archive = ARCHIVES[name];
      const expected = mergeListings(layerMembers(archive).map((member) => layerListing(archive, member)));
      const merged = parseLsOutput(await ls('--image', archive, '--merged'));
      expect(merged).toEqual(expected);
      if (known.length > 0) {
        expect(merged.map((e) => (e.linkname ? `${e.path} -> ${e.linkname}` : e.path))).toEqual(known);
      }
    });
  }

  test('should drop a file a later layer whites out in the OCI sample', async () => {
    const merged = parseLsOutput(await ls('--image', ARCHIVES.oci, '--merged')).map((e) => e.path);
    const base = parseLsOutput(await ls('--image', ARCHIVES.oci, '--layer', '0')).map((e) => normalize(e.path));
    expect(base).toContain('etc/motd');
    expect(merged).not.toContain('etc/motd');
    expect(merged).not.toContain('etc/.wh.motd');
    expect(merged).toContain('etc/mime.types');
  });

  test('should print entries with byte offsets as JSON', async () => {
    const archive = ARCHIVES.oci;
    const members = layerMembers(archive);
    const layers = JSON.parse(await ls('--image', archive, '--json')) as { layer: number; entries: TarEntry[] }[];
    expect(layers.map((l) => l.layer)).toEqual([0, 1]);
    const folder = await mkdtemp(join(tmpdir(), 'cli-ls-json-'));
    try {
      const layerFile = join(folder, 'layer.tar.gz');
      await writeFile(layerFile, execFileSync('tar', ['-xOf', archive, members[1]], { maxBuffer: 1 << 28 }));
      const tar = execFileSync('gzip', ['-dc', layerFile], { maxBuffer: 1 << 28 });
      const listing = layerListing(archive, members[1]);
      expect(layers[1].entries.map((e) => e.path)).toEqual(listing.map((e) => e.path));
      const files = layers[1].entries.filter((e) => e.type === 'file' && e.size > 0);
      expect(files.length).toBeGreaterThan(0);
      for (const entry of files.slice(0, 20)) {
        const expected = execFileSync('tar', ['-xzOf', layerFile, entry.path], { maxBuffer: 1 << 28 });
        const actual = tar.subarray(entry.dataOffset, entry.dataOffset + entry.size);
        expect(Buffer.compare(actual, expected), `content of ${entry.path} at ${entry.dataOffset}`).toBe(0);
      }
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });

  test('should print one layer as JSON', async () => {
    const layers = JSON.parse(await ls('--image', ARCHIVES.whiteout, '--layer', '1', '--json')) as {
      layer: number;
      entries: TarEntry[];
    }[];
    expect(layers).toHaveLength(1);
    expect(layers[0].layer).toBe(1);
    const whiteout = layers[0].entries.find((e) => e.path === './.wh.foo.txt');
    expect(whiteout?.whiteout).toBe('file');
  });

  for (const name of ['whiteout', 'overwritten'] as const) {
    test(`should report the merged tree and waste as JSON: ${name}`, async () => {
      const merged = JSON.parse(await ls('--image', ARCHIVES[name], '--merged', '--json')) as {
        entries: { path: string; layerIndex: number; entry: TarEntry }[];
        waste: { layerIndex: number; wastedBytes: number; wastedFiles: number }[];
      };
      const text = parseLsOutput(await ls('--image', ARCHIVES[name], '--merged'));
      expect(merged.entries.map((e) => e.path)).toEqual(text.map((e) => e.path));
      // foo.txt (4 bytes) of layer 0 is deleted by a whiteout or replaced by a symlink in layer 1.
      expect(merged.waste).toEqual([
        { layerIndex: 0, wastedBytes: 4, wastedFiles: 1 },
        { layerIndex: 1, wastedBytes: 0, wastedFiles: 0 },
        { layerIndex: 2, wastedBytes: 0, wastedFiles: 0 },
      ]);
      const bar = merged.entries.find((e) => e.path === 'bar.txt')!;
      expect(bar.layerIndex).toBe(name === 'whiteout' ? 0 : 1);
    });
  }

  test('should exit 2 for a layer the image does not have', async () => {
    const run = await runCli(['ls', '--image', ARCHIVES.docker, '--layer', '2']);
    expect(run.status).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('--layer 2: the image has 2 layers (0 to 1)');
  });

  test('should exit 1 for an archive without an image list', async () => {
    const run = await runCli(['ls', '--image', repoPath(`${GCR}/no_manifest.tar`)]);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('reading no_manifest.tar: neither manifest.json');
  });

  test('should exit 1 for a missing archive', async () => {
    const run = await runCli(['ls', '--image', '/nonexistent/missing.tar']);
    expect(run.status).toBe(1);
    expect(run.stderr).toBe('chunked-containers ls: opening /nonexistent/missing.tar: no such file');
  });
});
