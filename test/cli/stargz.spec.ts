import { expect, test } from '@playwright/test';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { IngestReport } from '../../lib/core/ingest/summary';
import type { StargzReport } from '../../lib/cli/chunk';
import { TOC_DIGEST_ANNOTATION } from '../../lib/core/estargz/types';
import { runCli } from '../helpers/cli';
import { estargzVerifier, gnuListing, hasTool, run, tempDir } from '../estargz/helpers';
import { extractedLayers } from '../core/convert-fixtures';
import { repoPath } from '../fixtures/ingest/ingest-run';

const ARCHIVES = [
  'public/samples/tiny-tools.docker.tar',
  'public/samples/tiny-tools-v2.oci.tar',
  'test/fixtures/archives/debian-tiny/tiny.oci.tar',
  'test/fixtures/archives/debian-tiny/tiny-estargz.oci.tar',
];

type Report = IngestReport & { estargz: StargzReport };

function sha256File(path: string): string {
  return `sha256:${createHash('sha256').update(readFileSync(path)).digest('hex')}`;
}

async function chunkStargz(archive: string, store: string, extra: string[] = []): Promise<Report> {
  const cli = await runCli(['chunk', '--image', repoPath(archive), '--store', store, '--stargz', '--json', ...extra]);
  expect(cli.stderr).toBe('');
  expect(cli.status).toBe(0);
  return JSON.parse(cli.stdout) as Report;
}

test.describe('chunk --stargz', () => {
  for (const archive of ARCHIVES) {
    const name = archive.slice(archive.lastIndexOf('/') + 1);

    test(`should write layers the Go checker and GNU tar accept: ${name}`, async () => {
      const store = tempDir('cli-stargz');
      try {
        const { estargz } = await chunkStargz(archive, store);
        const written = readdirSync(join(store, 'stargz')).sort();
        expect(written).toEqual(
          [...estargz.layers.map((layer) => layer.file), estargz.bundle].map((f) => f.slice(f.lastIndexOf('/') + 1)).sort(),
        );
        const sources = extractedLayers(repoPath(archive));
        expect(estargz.layers).toHaveLength(sources.length);
        const verifier = estargzVerifier();
        for (const [i, layer] of estargz.layers.entries()) {
          expect(existsSync(layer.file)).toBe(true);
          expect(sha256File(layer.file), `layer ${i} digest`).toBe(layer.digest);
          expect(readFileSync(layer.file).length).toBe(layer.size);
          expect(gnuListing(layer.file), `layer ${i} listing`).toEqual(gnuListing(sources[i]));
          if (verifier) run(verifier, ['-toc-digest', layer.tocDigest, layer.file]);
        }
        test.skip(!verifier, 'the Go estargz checker cannot be built here');
      } finally {
        await rm(store, { recursive: true, force: true });
      }
    });
  }

  test('should write a bundle that skopeo inspects and copies', async () => {
    test.skip(!hasTool('skopeo'), 'skopeo is not installed');
    const store = tempDir('cli-bundle');
    try {
      const { estargz } = await chunkStargz(ARCHIVES[0], store);
      const transport = `oci-archive:${estargz.bundle}`;
      const inspected = JSON.parse(run('skopeo', ['inspect', transport]));
      expect(inspected.Digest).toBe(estargz.manifestDigest);
      expect(inspected.Layers).toEqual(estargz.layers.map((layer) => layer.digest));
      const raw = JSON.parse(run('skopeo', ['inspect', '--raw', transport]));
      const annotated = raw.layers.map((layer: { annotations: Record<string, string> }) => layer.annotations[TOC_DIGEST_ANNOTATION]);
      expect(annotated).toEqual(estargz.layers.map((layer) => layer.tocDigest));
      const config = JSON.parse(run('skopeo', ['inspect', '--config', '--raw', transport]));
      expect(config.rootfs.diff_ids).toEqual(estargz.layers.map((layer) => layer.diffID));

      const copy = join(tempDir('cli-copy'), 'image');
      run('skopeo', ['copy', '--quiet', transport, `dir:${copy}`]);
      for (const layer of estargz.layers) {
        const copied = join(copy, layer.digest.slice('sha256:'.length));
        expect(readFileSync(copied).equals(readFileSync(layer.file))).toBe(true);
      }
    } finally {
      await rm(store, { recursive: true, force: true });
    }
  });

  test('should repeat blobs and change them by level', async () => {
    const first = tempDir('cli-repeat-a');
    const second = tempDir('cli-repeat-b');
    try {
      const a = await chunkStargz(ARCHIVES[1], first);
      const again = await chunkStargz(ARCHIVES[1], first);
      const b = await chunkStargz(ARCHIVES[1], second);
      expect(again.estargz.manifestDigest).toBe(a.estargz.manifestDigest);
      expect(b.estargz.layers.map((l) => l.digest)).toEqual(a.estargz.layers.map((l) => l.digest));
      const fast = await chunkStargz(ARCHIVES[1], second, ['--gzip-level', '1']);
      expect(fast.estargz.layers.map((l) => l.digest)).not.toEqual(a.estargz.layers.map((l) => l.digest));
      for (const [i, layer] of fast.estargz.layers.entries()) {
        expect(layer.size, `layer ${i} at level 1`).toBeGreaterThan(a.estargz.layers[i].size);
      }
    } finally {
      await rm(first, { recursive: true, force: true });
      await rm(second, { recursive: true, force: true });
    }
  });
});
