'use client';
import { useEffect, useState } from 'react';
import { IDBChunkStore } from '#/lib/store/idb-chunk-store';

let shared: Promise<IDBChunkStore> | undefined;

/** Opens the page's IndexedDB chunk store once per page load. */
export function openStore(): Promise<IDBChunkStore> {
  shared ??= IDBChunkStore.open();
  return shared;
}

/** Returns the chunk store once it is open, and an error if it cannot open. */
export function useStore(): { store?: IDBChunkStore; error?: Error } {
  const [state, setState] = useState<{ store?: IDBChunkStore; error?: Error }>({});
  useEffect(() => {
    let live = true;
    openStore().then(
      (store) => live && setState({ store }),
      (error: Error) => live && setState({ error }),
    );
    return () => {
      live = false;
    };
  }, []);
  return state;
}
