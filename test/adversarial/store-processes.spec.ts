/**
 * Two command-line processes on one store folder. The store lock is inside
 * one process, so a failed ingest in one process collects garbage while an
 * ingest in another process still holds chunks that no image references yet.
 */
import { expect, test } from '@playwright/test';
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FsChunkStore } from '../../lib/store/fs-chunk-store';
import { flipByte, writeDockerSave } from '../fixtures/ingest/archives';
import { repoPath } from '../fixtures/ingest/ingest-run';
import { KNOWN_GAP } from './builders';

const CLI = repoPath('scripts/chunked-containers.mjs');

function startChunk(image: string, store: string): { child: ChildProcess; exit: Promise<number> } {
  const child = spawn(process.execPath, [CLI, 'chunk', '--image', image, '--store', store], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const exit = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? -1)));
  return { child, exit };
}

async function waitForChunks(folder: string, deadline: number): Promise<void> {
  while (Date.now() < deadline) {
    const names = await readdir(folder).catch(() => []);
    if (names.length > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`no chunk appeared in ${folder} in time`);
}

test.describe('fs store shared by two processes', () => {
  let work: string;

  test.beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'cc-processes-'));
  });

  test.afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  test('should keep the chunks of an ingest in flight when another process fails', async () => {
    test.fixme(
      KNOWN_GAP,
      'FsChunkStore takes its store lock inside one process only, and the chunk command ' +
        'collects garbage after a failure, so it deletes chunks that another process has ' +
        'stored but not yet committed; that image then commits with chunks missing',
    );
    test.setTimeout(120_000);
    const store = join(work, 'store');
    const big = await writeDockerSave(join(work, 'big.tar'), [
      { repoTag: 'big:1', layers: [{ entries: [{ type: 'file', path: 'blob.bin', size: 128 << 20, content: { random: 7 } }] }] },
    ]);
    const bad = await writeDockerSave(join(work, 'bad.tar'), [
      { repoTag: 'bad:1', layers: [{ entries: [{ type: 'file', path: 'x.bin', size: 1 << 20, content: { random: 9 } }] }] },
    ]);
    await flipByte(bad.path, bad.images[0].layers[0].dataOffset + 900_000);

    const first = startChunk(big.path, store);
    try {
      await waitForChunks(join(store, 'chunks'), Date.now() + 60_000);
      first.child.kill('SIGSTOP');
      expect(await readdir(join(store, 'images')).catch(() => [])).toEqual([]);
      const second = spawnSync(process.execPath, [CLI, 'chunk', '--image', bad.path, '--store', store], {
        encoding: 'utf8',
      });
      expect(second.status).toBe(1);
      expect(second.stderr).toContain("does not match the config's diffID");
    } finally {
      first.child.kill('SIGCONT');
    }
    expect(await first.exit).toBe(0);

    const fs = new FsChunkStore({ root: store });
    const [record] = await fs.listImages();
    const index = await fs.getIndex(record.layers[0].indexDigest);
    const missing = [];
    for (const chunk of index.chunks) if (!(await fs.has(chunk.digest))) missing.push(chunk.offset);
    expect(missing, 'offsets of chunks the committed image lacks').toEqual([]);
  });
});
