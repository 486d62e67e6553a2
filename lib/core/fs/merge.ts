/**
 * The merged filesystem of an image: every layer applied in order, with
 * whiteouts and opaque directories honoured as the OCI image spec's layer
 * changeset rules say, and the bytes each layer wastes on files that a later
 * layer replaces or deletes (the figure dive reports).
 */
import type { TarEntry } from '../tar/entry';

/** One path of the merged tree and the layer whose entry wins. */
export interface MergedEntry {
  path: string;
  layerIndex: number;
  entry: TarEntry;
}

/** Bytes and files of one layer that later layers replace or delete. */
export interface LayerWaste {
  layerIndex: number;
  wastedBytes: number;
  wastedFiles: number;
}

export interface MergedFilesystem {
  /** Entries sorted by path. */
  entries: MergedEntry[];
  waste: LayerWaste[];
}

const WHITEOUT_PREFIX = '.wh.';
const OPAQUE_MARKER = '.wh..wh..opq';

/** Returns the path without `./`, leading or trailing slashes. */
export function normalizePath(path: string): string {
  let out = path;
  while (out.startsWith('./')) out = out.slice(2);
  out = out.replace(/^\/+/, '').replace(/\/+$/, '');
  return out === '.' ? '' : out;
}

function parentOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? '' : path.slice(0, slash);
}

function baseOf(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** Applies `layers` (base first) and returns the merged tree and waste per layer. */
export function mergeLayers(layers: readonly (readonly TarEntry[])[]): MergedFilesystem {
  const tree = new Map<string, MergedEntry>();
  const waste: LayerWaste[] = layers.map((_, layerIndex) => ({ layerIndex, wastedBytes: 0, wastedFiles: 0 }));

  const remove = (path: string) => {
    const gone = tree.get(path);
    if (!gone) return;
    tree.delete(path);
    if (gone.entry.type === 'file') {
      waste[gone.layerIndex].wastedBytes += gone.entry.size;
      waste[gone.layerIndex].wastedFiles++;
    }
  };
  const removeChildren = (dir: string, below: number) => {
    const prefix = dir === '' ? '' : `${dir}/`;
    for (const [path, merged] of [...tree]) {
      if (merged.layerIndex < below && path.startsWith(prefix) && path !== dir) remove(path);
    }
  };

  layers.forEach((entries, layerIndex) => {
    // Whiteouts act on lower layers only, so apply them before this layer's own entries.
    for (const entry of entries) {
      const path = normalizePath(entry.path);
      const name = baseOf(path);
      if (name === OPAQUE_MARKER) {
        removeChildren(parentOf(path), layerIndex);
      } else if (name.startsWith(WHITEOUT_PREFIX)) {
        const target = `${parentOf(path) === '' ? '' : `${parentOf(path)}/`}${name.slice(WHITEOUT_PREFIX.length)}`;
        removeChildren(target, layerIndex);
        remove(target);
      }
    }
    for (const entry of entries) {
      const path = normalizePath(entry.path);
      if (path === '' || baseOf(path).startsWith(WHITEOUT_PREFIX)) continue;
      const lower = tree.get(path);
      if (lower) {
        // A directory over a directory merges; anything else replaces the lower entry and its subtree.
        if (!(lower.entry.type === 'dir' && entry.type === 'dir')) {
          if (lower.entry.type === 'dir') removeChildren(path, layerIndex);
          remove(path);
        }
      }
      tree.set(path, { path, layerIndex, entry });
    }
  });

  const entries = [...tree.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { entries, waste };
}
