/**
 * The chunk store conformance cases as plain async functions, so that Node
 * tests call them directly and browser tests call them inside a page.
 * Browser-safe: nothing here imports Playwright or Node modules.
 */
import type { ChunkStore } from '../../lib/store/chunk-store';
import { CHUNK_CASES } from './cases/chunks';
import { LIFECYCLE_CASES } from './cases/lifecycle';
import { RECORD_CASES } from './cases/records';
import { SWEEP_CASES } from './cases/sweep';
import type { CaseContext, StoreCase, StoreHarness } from './cases/types';

export type { CaseContext, StoreCase, StoreHarness } from './cases/types';

/** Every case, in the order the suites run them. */
export const STORE_CASES: readonly StoreCase[] = [
  ...CHUNK_CASES,
  ...RECORD_CASES,
  ...SWEEP_CASES,
  ...LIFECYCLE_CASES,
];

/** Returns the case with this group and name; throws when there is none. */
export function findStoreCase(group: string, name: string): StoreCase {
  const found = STORE_CASES.find((c) => c.group === group && c.name === name);
  if (!found) throw new Error(`no chunk store case ${group} › ${name}`);
  return found;
}

/** Runs one case on a new store from `harness` and tears the store down after. */
export async function runStoreCase(storeCase: StoreCase, harness: StoreHarness): Promise<void> {
  let store: ChunkStore = await harness.setup();
  const context: CaseContext = {
    get store() {
      return store;
    },
    async reopen() {
      store = await harness.reopen(store);
      return store;
    },
  };
  try {
    await storeCase.run(context);
  } finally {
    await harness.teardown(store);
  }
}
