/**
 * Shared inputs of the conversion tests: a strategy, an image ingested into
 * a memory store, the layer files of an archive extracted with GNU tar, and
 * a local stand-in for the worker's convert-layer request.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StrategyParams } from '../../lib/core/chunk/strategy';
import { convertStoredLayer } from '../../lib/core/convert/estargz';
import type { ImageRecord, EStargzOptions } from '../../lib/core/layer-index';
import type { ConvertLayer } from '../../lib/browser/estargz-session';
import type { ChunkStore } from '../../lib/store/chunk-store';
import { MemoryChunkStore } from '../../lib/store/memory-chunk-store';
import { ingestArchive, repoPath } from '../fixtures/ingest/ingest-run';

export const FIXED_64K: StrategyParams = { name: 'fixed-size', chunkSize: 64 * 1024 };

/** The two-layer docker save sample that the page offers first. */
export const SAMPLE = repoPath('public/samples/tiny-tools.docker.tar');

/** Ingests the first image of `archive` into a new memory store. */
export async function ingestedImage(archive: string, strategy = FIXED_64K) {
  const store = new MemoryChunkStore();
  const [result] = await ingestArchive(archive, store, { strategy, filesystem: true });
  return { store, record: result.record };
}

/** Extracts `archive` and returns its layer files in manifest order: docker save or OCI layout. */
export function extractedLayers(archive: string): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'convert-layers-'));
  execFileSync('tar', ['-xf', archive, '-C', dir]);
  const manifestPath = join(dir, 'manifest.json');
  if (existsSync(manifestPath)) {
    const [entry] = JSON.parse(readFileSync(manifestPath, 'utf8')) as { Layers: string[] }[];
    return entry.Layers.map((layer) => join(dir, layer));
  }
  const blob = (digest: string) => join(dir, 'blobs', ...digest.split(':'));
  const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8'));
  const manifest = JSON.parse(readFileSync(blob(index.manifests[0].digest), 'utf8'));
  return manifest.layers.map((layer: { digest: string }) => blob(layer.digest));
}

/** Returns a ConvertLayer that runs `convertStoredLayer` in this thread, as the worker does. */
export function localConvert(record: ImageRecord, store: ChunkStore, settings: EStargzOptions): ConvertLayer {
  return (layerIndex, signal, onProgress) =>
    convertStoredLayer(record, layerIndex, store, {
      ...settings,
      signal,
      onProgress: (_, progress) => onProgress(progress),
    });
}
