/**
 * `chunkStoreSuite` registers the conformance cases as Playwright tests for
 * a store that runs in the test process (memory, filesystem). The browser
 * suite for IndexedDB runs the same cases inside a page.
 */
import { test } from '@playwright/test';
import { runStoreCase, STORE_CASES, type StoreHarness } from './chunk-store.cases';

/** Registers every conformance case under `test.describe(name)`. */
export function chunkStoreSuite(name: string, harness: StoreHarness): void {
  test.describe(name, () => {
    for (const group of new Set(STORE_CASES.map((c) => c.group))) {
      test.describe(group, () => {
        for (const storeCase of STORE_CASES.filter((c) => c.group === group)) {
          test(storeCase.name, () => runStoreCase(storeCase, harness));
        }
      });
    }
  });
}
