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

/**
 * Returns the path relative to the root with `.` and empty segments dropped
 * and `..` applied, never above the root, as extraction under a root folder
 * resolves it. So `./a//b`, `/a/b` and `../../a/b` all name `a/b`.
 */
export function normalizePath(path: string): string {
  const parts: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') parts.pop();
    else parts.push(part);
  }
  return parts.join('/');
}

/**
 * Merged entries by path, with the set of paths below each directory path,
 * so that a whiteout removes a subtree without scanning the whole tree.
 */
class MergedTree {
  private readonly entries = new Map<string, MergedEntry>();
  /** Paths at any depth below each directory path; the root ('') has every path and no set. */
  private readonly below = new Map<string, Set<string>>();

  get(path: string): MergedEntry | undefined {
    return this.entries.get(path);
  }

  set(path: string, entry: MergedEntry): void {
    if (!this.entries.has(path)) {
      for (const ancestor of ancestorsOf(path)) {
        let paths = this.below.get(ancestor);
        if (!paths) this.below.set(ancestor, (paths = new Set()));
        paths.add(path);
      }
    }
    this.entries.set(path, entry);
  }

  delete(path: string): void {
    if (!this.entries.delete(path)) return;
    for (const ancestor of ancestorsOf(path)) {
      const paths = this.below.get(ancestor);
      paths?.delete(path);
      if (paths?.size === 0) this.below.delete(ancestor);
    }
  }

  /** Returns the paths below `dir` at any depth, as a copy that removals do not disturb. */
  under(dir: string): string[] {
    if (dir === '') return [...this.entries.keys()];
    return [...(this.below.get(dir) ?? [])];
  }

  values(): IterableIterator<MergedEntry> {
    return this.entries.values();
  }
}

/** Returns every proper prefix directory of `path`: `a/b/c` gives `a` and `a/b`. */
function ancestorsOf(path: string): string[] {
  const ancestors: string[] = [];
  for (let slash = path.indexOf('/'); slash >= 0; slash = path.indexOf('/', slash + 1)) {
    ancestors.push(path.slice(0, slash));
  }
  return ancestors;
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
  const tree = new MergedTree();
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
    for (const path of tree.under(dir)) {
      const merged = tree.get(path);
      if (merged && merged.layerIndex < below) remove(path);
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

  const byPath = (a: MergedEntry, b: MergedEntry) => {
    if (a.path === b.path) return 0;
    return a.path < b.path ? -1 : 1;
  };
  const entries = [...tree.values()].sort(byPath);
  return { entries, waste };
}
