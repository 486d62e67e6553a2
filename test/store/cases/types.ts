/** Types shared by the chunk store conformance cases. Browser-safe. */
import type { ChunkStore } from '../../../lib/store/chunk-store';

/** How a suite run gets stores of the implementation under test. */
export interface StoreHarness {
  /** Opens a new, empty store. */
  setup(): Promise<ChunkStore>;
  /** Closes `store` and opens the storage behind it again. */
  reopen(store: ChunkStore): Promise<ChunkStore>;
  /** Closes `store` and deletes what it stored. */
  teardown(store: ChunkStore): Promise<void>;
}

/** What a case gets: the store, which `reopen` replaces. */
export interface CaseContext {
  readonly store: ChunkStore;
  reopen(): Promise<ChunkStore>;
}

/** One conformance case: a plain async function that throws on failure. */
export interface StoreCase {
  /** The method or topic, used as the describe block. */
  group: string;
  /** The test name, starting with "should". */
  name: string;
  run(context: CaseContext): Promise<void>;
}

/** Resolves after `ms` milliseconds. */
export function delay(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}
